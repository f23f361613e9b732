// The sets tree: choosing a set shows its images; dropping images on a set adds them to it (or
// moves them there from the set on show); dropping a set on another nests it there ("All
// images": back to the top level). The keyboard gets the same moves through lists: "Add
// selected to" for images, "Move … under" for the set on show.

import { describe, read, write } from "./api.js";
import { DRAG_TYPE } from "./grid.js";
import { follow } from "./operations.js";

export const SET_CHOSEN = "darkroom:set-chosen";
export const SETS_CHANGED = "darkroom:sets-changed";
const SET_DRAG_TYPE = "application/x-darkroom-set";
const TOP_LEVEL = "";

export class SetsTree {
  constructor({ tree, error, createForm, nameInput, moveForm, moveName, parentSelect, targets }) {
    this.tree = tree;
    this.error = error;
    this.moveForm = moveForm;
    this.moveName = moveName;
    this.parentSelect = parentSelect;
    this.targets = targets; // the <select>s listing every set as a place for images
    this.current = null; // { uuid, name } of the set on show, or null for all images
    this.sets = [];
    createForm.addEventListener("submit", (event) => {
      event.preventDefault();
      const name = nameInput.value.trim();
      if (!name) return;
      nameInput.value = "";
      this.#run(() => this.create(name));
    });
    moveForm.addEventListener("submit", (event) => {
      event.preventDefault();
      if (this.current) this.#run(() => this.nest(this.current.uuid, parentSelect.value || null));
    });
  }

  async load() {
    this.sets = await read("/v1/sets/tree");
    this.#render();
  }

  flat(nodes = this.sets, depth = 0) {
    return nodes.flatMap((node) => [{ node, depth }, ...this.flat(node.children, depth + 1)]);
  }

  byUuid(uuid) {
    return this.flat().find(({ node }) => node.public_uuid === uuid)?.node ?? null;
  }

  async create(name) {
    const operation = await write("POST", "/v1/sets", { name });
    const finished = await follow(operation, `Create set “${name}”`);
    await this.load();
    return finished;
  }

  // Add images to `target`, or move them there when they are taken from the set on show.
  async place(uuids, target) {
    const from = this.current && this.current.uuid !== target.public_uuid ? this.current.uuid : null;
    const body = from ? { image_public_uuids: uuids, move_from: from } : { image_public_uuids: uuids };
    const what = uuids.length === 1 ? "1 image" : `${uuids.length} images`;
    const label = `${from ? "Move" : "Add"} ${what} to “${target.name}”`;
    const operation = await write("POST", `/v1/sets/${target.public_uuid}/images`, body);
    const finished = await follow(operation, label);
    await this.load();
    document.dispatchEvent(new CustomEvent(SETS_CHANGED, { detail: { moved: Boolean(from) } }));
    return finished;
  }

  // Put a set under another (`parent` null: the top level). A cycle is refused by the server.
  async nest(uuid, parent) {
    const name = this.byUuid(uuid)?.name ?? "set";
    const where = parent ? `under “${this.byUuid(parent)?.name}”` : "to the top level";
    const operation = await write("PATCH", `/v1/sets/${uuid}`, { parent_public_uuid: parent });
    const finished = await follow(operation, `Move “${name}” ${where}`);
    await this.load();
    return finished;
  }

  choose(set) {
    this.current = set;
    this.error.textContent = "";
    this.#render();
    document.dispatchEvent(new CustomEvent(SET_CHOSEN, { detail: set }));
  }

  async #run(action) {
    this.error.textContent = "";
    try {
      const operation = await action();
      if (operation.status !== "succeeded") this.error.textContent = operation.error?.message ?? operation.status;
    } catch (error) {
      this.error.textContent = describe(error);
    }
  }

  #render() {
    const all = document.createElement("li");
    all.append(this.#button(null, "All images", null));
    this.tree.replaceChildren(all, ...this.sets.map((node) => this.#branch(node)));
    for (const select of this.targets) this.fill(select);
    this.#renderMoveForm();
  }

  #renderMoveForm() {
    const node = this.current && this.byUuid(this.current.uuid);
    this.moveForm.hidden = !node;
    if (!node) return;
    this.moveName.textContent = node.name;
    // A set cannot go under itself or anything inside it.
    const inside = new Set(this.flat([node]).map(({ node: n }) => n.public_uuid));
    const top = option(TOP_LEVEL, "(top level)");
    const options = this.flat()
      .filter(({ node: n }) => !inside.has(n.public_uuid))
      .map(({ node: n, depth }) => option(n.public_uuid, "\u2003".repeat(depth) + n.name));
    this.parentSelect.replaceChildren(top, ...options);
  }

  #branch(node) {
    const li = document.createElement("li");
    li.append(this.#button(node, node.name, node.image_count));
    if (node.children.length) {
      const ul = document.createElement("ul");
      ul.append(...node.children.map((child) => this.#branch(child)));
      li.append(ul);
    }
    return li;
  }

  #button(node, name, count) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "set";
    const uuid = node?.public_uuid ?? null;
    button.dataset.uuid = uuid ?? "";
    button.setAttribute("aria-pressed", String((this.current?.uuid ?? null) === uuid));
    const label = document.createElement("span");
    label.textContent = name;
    button.append(label);
    if (count !== null) {
      const badge = document.createElement("span");
      badge.className = "count";
      badge.textContent = count;
      badge.setAttribute("aria-label", `${count} image${count === 1 ? "" : "s"}`);
      button.append(badge);
    }
    button.addEventListener("click", () => this.choose(node ? { uuid, name } : null));
    if (node) {
      button.draggable = true;
      button.addEventListener("dragstart", (event) => {
        event.dataTransfer.setData(SET_DRAG_TYPE, uuid);
        event.dataTransfer.effectAllowed = "move";
      });
    }
    this.#acceptDrops(button, node);
    return button;
  }

  // `node` null: the "All images" entry, where only sets can land (back to the top level).
  #acceptDrops(element, node) {
    const accepts = (event) => {
      const types = event.dataTransfer.types;
      return types.includes(SET_DRAG_TYPE) || (node !== null && types.includes(DRAG_TYPE));
    };
    element.addEventListener("dragover", (event) => {
      if (!accepts(event)) return;
      event.preventDefault();
      event.dataTransfer.dropEffect = this.current || event.dataTransfer.types.includes(SET_DRAG_TYPE) ? "move" : "copy";
      element.classList.add("drop-target");
    });
    element.addEventListener("dragleave", () => element.classList.remove("drop-target"));
    element.addEventListener("drop", (event) => {
      element.classList.remove("drop-target");
      if (!accepts(event)) return;
      event.preventDefault();
      const set = event.dataTransfer.getData(SET_DRAG_TYPE);
      if (set) {
        if (set !== node?.public_uuid) this.#run(() => this.nest(set, node?.public_uuid ?? null));
        return;
      }
      const uuids = JSON.parse(event.dataTransfer.getData(DRAG_TYPE));
      this.#run(() => this.place(uuids, node));
    });
  }

  fill(select) {
    const chosen = select.value;
    const options = this.flat().map(({ node, depth }) => option(node.public_uuid, "\u2003".repeat(depth) + node.name));
    if (!options.length) options.push(option("", "(no sets yet)"));
    select.replaceChildren(...options);
    if (options.some((o) => o.value === chosen)) select.value = chosen;
  }
}

function option(value, text) {
  const element = document.createElement("option");
  element.value = value;
  element.textContent = text;
  return element;
}
