// The image page: a preview, the editable fields, rating, rotation, keywords and sets, then the
// versions, metadata and EXIF. Every edit runs as an operation whose status is read out live.

import { describe, read, write } from "./api.js";
import { IMAGES_CHANGED, nameOf, thumbnailOf } from "./grid.js";
import { follow } from "./operations.js";

export class ImagePage {
  constructor({ section, sets }) {
    this.section = section;
    this.sets = sets;
    this.image = null;
  }

  async show(uuid) {
    this.section.replaceChildren(paragraph("Loading…"));
    try {
      this.image = await read(`/v1/images/${encodeURIComponent(uuid)}`);
    } catch (error) {
      this.section.replaceChildren(back(), paragraph(describe(error), "error"));
      return;
    }
    this.#render();
  }

  #render() {
    const image = this.image;
    const heading = element("h2", { id: "image-title", tabindex: "-1" }, nameOf(image));
    this.status = element("p", { class: "edit-status", role: "status", "aria-live": "polite" });
    const preview = thumbnailOf(image, ["medium", "small", "large", "thumb"]);
    const figure = element("figure", { class: "preview" });
    if (preview) figure.append(element("img", { src: preview.url, alt: image.alt_text || "" }));
    figure.append(element("figcaption", {}, `${image.width ?? "?"} × ${image.height ?? "?"} · ${image.format ?? ""}`));

    const details = element("div", { class: "image-details" },
      this.#fieldsForm(), this.#ratingAndRotation(), this.#keywords(), this.#setsBox());
    this.section.replaceChildren(
      back(), heading, this.status,
      element("div", { class: "image-layout" }, figure, details),
      versionsTable(image.versions), metadataList(image),
    );
    heading.focus();
  }

  // Run one edit: the operation is followed, then the page shows the image as it now is.
  async #edit(label, method, path, body) {
    this.status.textContent = `${label}: sending…`;
    try {
      const operation = await follow(await write(method, path, body), `${label} (${nameOf(this.image)})`);
      const problem = operation.error ? ` — ${operation.error.message}` : "";
      this.image = await read(`/v1/images/${this.image.public_uuid}`);
      this.#render();
      document.dispatchEvent(new CustomEvent(IMAGES_CHANGED));
      this.status.textContent = `${label}: ${operation.status}${problem}.`;
    } catch (error) {
      this.status.textContent = `${label}: ${describe(error)}`;
    }
  }

  #path(suffix = "") {
    return `/v1/images/${this.image.public_uuid}${suffix}`;
  }

  #fieldsForm() {
    const image = this.image;
    const title = input("edit-title", "text", image.title ?? "", { maxlength: "191" });
    const description = element("textarea", { id: "edit-description", rows: "3" });
    description.value = image.description ?? "";
    const date = input("edit-date", "text", image.creation_date ?? "", { placeholder: "2024-05-13" });
    const form = element("form", { class: "card" },
      element("h3", {}, "Fields"),
      label("edit-title", "Title"), title,
      label("edit-description", "Description"), description,
      label("edit-date", "Date taken"), date,
      element("button", { type: "submit" }, "Save fields"));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const changes = {
        title: title.value.trim() || null,
        description: description.value.trim() || null,
        creation_date: date.value.trim() || null,
      };
      this.#edit("Save fields", "PATCH", this.#path(), changes);
    });
    return form;
  }

  #ratingAndRotation() {
    const rating = element("select", { id: "edit-rating" },
      ...[0, 1, 2, 3, 4, 5].map((n) => element("option", { value: String(n) }, n ? "★".repeat(n) + ` (${n})` : "none (0)")));
    rating.value = String(this.image.rating ?? 0);
    const rate = element("button", { type: "button" }, "Set rating");
    rate.addEventListener("click", () =>
      this.#edit("Rating", "PUT", this.#path("/rating"), { rating: Number(rating.value) }));
    const rotate = (degrees, text, name) => {
      const button = element("button", { type: "button", class: "quiet", "aria-label": name }, text);
      button.addEventListener("click", () => {
        const rotation = (((this.image.rotation + degrees) % 360) + 360) % 360;
        this.#edit("Rotate", "PATCH", this.#path(), { rotation });
      });
      return button;
    };
    return element("div", { class: "card" },
      element("h3", {}, "Rating and rotation"),
      label("edit-rating", "Rating"), element("div", { class: "row" }, rating, rate),
      element("div", { class: "row" }, rotate(-90, "↺ Left", "Rotate left"), rotate(90, "↻ Right", "Rotate right")));
  }

  #keywords() {
    const list = element("ul", { class: "keywords" });
    for (const keyword of this.image.keywords) {
      const text = keyword.namespace ? `${keyword.namespace}:${keyword.value}` : keyword.value;
      const remove = element("button", { type: "button", class: "chip-remove", "aria-label": `Remove keyword ${text}` }, "×");
      remove.addEventListener("click", () =>
        this.#edit(`Remove keyword ${text}`, "DELETE", this.#path("/keywords"), { keyword: text }));
      list.append(element("li", { class: "chip" }, element("span", {}, text), remove));
    }
    if (!this.image.keywords.length) list.append(element("li", { class: "muted" }, "No keywords."));
    const field = input("add-keywords", "text", "", { placeholder: "sunset, artist:Marina" });
    const form = element("form", { class: "row" }, field, element("button", { type: "submit" }, "Add"));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const keywords = field.value.split(",").map((k) => k.trim()).filter(Boolean);
      if (keywords.length) this.#edit("Add keywords", "POST", this.#path("/keywords"), { keywords });
    });
    return element("div", { class: "card" },
      element("h3", {}, "Keywords"), list, label("add-keywords", "Add keywords (comma-separated)"), form);
  }

  #setsBox() {
    const list = element("ul", { class: "plain" },
      ...this.image.sets.map((set) => element("li", {}, set.name)));
    if (!this.image.sets.length) list.append(element("li", { class: "muted" }, "In no set."));
    const target = element("select", { id: "image-set-target" });
    this.sets.fill(target);
    const add = element("button", { type: "button" }, "Add to set");
    add.addEventListener("click", async () => {
      const node = this.sets.byUuid(target.value);
      if (!node) return;
      this.status.textContent = `Add to “${node.name}”: sending…`;
      try {
        const operation = await this.sets.place([this.image.public_uuid], node);
        await this.show(this.image.public_uuid);
        this.status.textContent = `Add to “${node.name}”: ${operation.status}.`;
      } catch (error) {
        this.status.textContent = describe(error);
      }
    });
    return element("div", { class: "card" },
      element("h3", {}, "Sets"), list,
      label("image-set-target", "Set"), element("div", { class: "row" }, target, add));
  }
}

function versionsTable(versions) {
  const rows = versions.map((v) => element("tr", {},
    element("th", { scope: "row" }, v.name),
    element("td", {}, `${v.width} × ${v.height}`),
    element("td", {}, v.format),
    element("td", {}, `${Math.round(v.bytes / 1024)} KiB`),
    element("td", {}, element("a", { href: v.url, target: "_blank", rel: "noopener" }, "open"))));
  return element("section", { class: "card", "aria-labelledby": "versions-title" },
    element("h3", { id: "versions-title" }, "Versions"),
    element("table", {},
      element("thead", {}, element("tr", {}, ...["Version", "Size", "Format", "Bytes", "File"].map((t) => element("th", { scope: "col" }, t)))),
      element("tbody", {}, ...rows)));
}

function metadataList(image) {
  const entries = [
    ["Filename", image.filename], ["Format", image.format], ["Bytes", image.bytes],
    ["SHA-256", image.sha256], ["Created", image.created_at], ["Updated", image.updated_at],
    ...Object.entries(image.metadata).filter(([, v]) => v !== null && !(Array.isArray(v) && !v.length)),
    ...Object.entries(image.exif).map(([name, v]) => [`EXIF ${name}`, v]),
  ].filter(([, v]) => v !== null && v !== undefined);
  const list = element("dl", { class: "metadata" });
  for (const [name, value] of entries) {
    list.append(element("dt", {}, name.replaceAll("_", " ")), element("dd", {}, shown(value)));
  }
  return element("section", { class: "card", "aria-labelledby": "metadata-title" },
    element("h3", { id: "metadata-title" }, "Metadata"), list);
}

function shown(value) {
  if (Array.isArray(value)) return value.join(", ");
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

function back() {
  return element("a", { href: "#/", class: "back" }, "← Back to the images");
}

function paragraph(text, className = "") {
  return element("p", { class: className }, text);
}

function label(id, text) {
  return element("label", { for: id }, text);
}

function input(id, type, value, attributes = {}) {
  const field = element("input", { id, type, ...attributes });
  field.value = value;
  return field;
}

function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}
