// The sets tree: choosing a set shows its images, dropping images on a set adds them to it (or
// moves them there from the set on show), and a form creates sets. The same moves are offered
// to the keyboard through the "Add selected to" list.

import { describe, read, write } from "./api.js";
import { DRAG_TYPE } from "./grid.js";
import { follow } from "./operations.js";

export const SET_CHOSEN = "darkroom:set-chosen";
export const SETS_CHANGED = "darkroom:sets-changed";

export class SetsTree {
  constructor({ tree, createForm, nameInput, targets }) {
    this.tree = tree;
    this.targets = targets; // the <select>s listing every set
    this.current = null; // { uuid, name } of the set on show, or null for all images
    this.sets = [];
    createForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      const name = nameInput.value.trim();
      if (!name) return;
      nameInput.value = "";
      await this.create(name);
    });
  }

  async load() {
    this.sets = await read("/v1/sets/tree");
    this.#render();
  }

  flat(nodes = this.sets, depth = 0) {
    return nodes.flatMap((node) => [{ node, depth }, ...this.flat(node.children, depth + 1)]);
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

  choose(set) {
    this.current = set;
    this.#render();
    document.dispatchEvent(new CustomEvent(SET_CHOSEN, { detail: set }));
  }

  #render() {
    const all = document.createElement("li");
    all.append(this.#button(null, "All images", null));
    this.tree.replaceChildren(all, ...this.sets.map((node) => this.#branch(node)));
    for (const select of this.targets) this.fill(select);
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
    if (node) this.#acceptDrops(button, node);
    return button;
  }

  #acceptDrops(element, node) {
    const carries = (event) => event.dataTransfer.types.includes(DRAG_TYPE);
    element.addEventListener("dragover", (event) => {
      if (!carries(event)) return;
      event.preventDefault();
      event.dataTransfer.dropEffect = this.current ? "move" : "copy";
      element.classList.add("drop-target");
    });
    element.addEventListener("dragleave", () => element.classList.remove("drop-target"));
    element.addEventListener("drop", async (event) => {
      element.classList.remove("drop-target");
      if (!carries(event)) return;
      event.preventDefault();
      const uuids = JSON.parse(event.dataTransfer.getData(DRAG_TYPE));
      try {
        await this.place(uuids, node);
      } catch (error) {
        element.closest("nav").querySelector(".hint").textContent = describe(error);
      }
    });
  }

  fill(select) {
    const chosen = select.value;
    const options = this.flat().map(({ node, depth }) => {
      const option = document.createElement("option");
      option.value = node.public_uuid;
      option.textContent = "\u2003".repeat(depth) + node.name;
      return option;
    });
    if (!options.length) {
      const none = document.createElement("option");
      none.value = "";
      none.textContent = "(no sets yet)";
      options.push(none);
    }
    select.replaceChildren(...options);
    if (options.some((o) => o.value === chosen)) select.value = chosen;
  }

  byUuid(uuid) {
    return this.flat().find(({ node }) => node.public_uuid === uuid)?.node ?? null;
  }
}
