// The grid of thumbnails: pages from a source (library list, search, a set) loaded as the end
// of the grid scrolls into view, a selection, and tiles that can be dragged onto a set.

export const DRAG_TYPE = "application/x-darkroom-images";
export const SELECTION_CHANGED = "darkroom:selection-changed";
// Images were added or changed (an upload, an edit): the grid reloads.
export const IMAGES_CHANGED = "darkroom:images-changed";

export function thumbnailOf(image, wanted = ["thumb", "small"]) {
  const versions = image.versions || [];
  for (const name of wanted) {
    const version = versions.find((v) => v.name === name);
    if (version) return version;
  }
  // Profiles are configurable: the smallest there is will do.
  return [...versions].sort((a, b) => a.width * a.height - b.width * b.height)[0] || null;
}

export function nameOf(image) {
  return image.title || image.filename || image.external_id || image.image_id || "Untitled";
}

export class Grid {
  constructor({ list, status, end }) {
    this.list = list;
    this.status = status;
    this.selected = new Set();
    this.source = null;
    this.page = 0;
    this.more = false;
    this.loading = null;
    this.generation = 0;
    new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) this.loadMore();
    }, { rootMargin: "400px" }).observe(end);
  }

  // A source is `{ title, fetch(page, size) → { images, more } }` (page numbers from 0; the
  // size is the list's `data-page-size`).
  async show(source) {
    this.generation += 1;
    this.source = source;
    this.page = 0;
    this.more = true;
    this.loading = null;
    this.selected.clear();
    this.list.replaceChildren();
    this.#selectionChanged();
    await this.loadMore();
  }

  reload() {
    return this.source ? this.show(this.source) : Promise.resolve();
  }

  async loadMore() {
    if (!this.more || !this.source) return;
    if (this.loading) return this.loading;
    const generation = this.generation;
    this.status.textContent = "Loading…";
    const size = Number(this.list.dataset.pageSize) || 60;
    this.loading = this.source.fetch(this.page, size).then(
      ({ images, more }) => {
        if (generation !== this.generation) return;
        this.page += 1;
        this.more = more;
        this.list.append(...images.map((image) => this.#tile(image)));
        const count = this.list.children.length;
        this.status.textContent = count === 0 ? "No images." : `${count} image${count === 1 ? "" : "s"}${more ? "; scroll for more" : ""}.`;
      },
      (error) => {
        if (generation !== this.generation) return;
        this.more = false;
        this.status.textContent = "";
        throw error;
      },
    ).finally(() => {
      if (generation === this.generation) this.loading = null;
    });
    await this.loading;
    // A first page that does not fill the screen leaves the end in view: no new intersection.
    if (generation === this.generation && this.more && this.#endInView()) await this.loadMore();
  }

  #endInView() {
    // A grid out of sight (the image page is open) has no end in view: it waits for its turn.
    if (this.list.offsetParent === null) return false;
    return this.list.getBoundingClientRect().bottom < window.innerHeight + 400;
  }

  #tile(image) {
    const li = document.createElement("li");
    li.className = "tile";
    li.draggable = true;
    li.dataset.uuid = image.public_uuid;
    const name = nameOf(image);

    const link = document.createElement("a");
    link.href = `#/image/${image.public_uuid}`;
    const thumbnail = thumbnailOf(image);
    const picture = thumbnail ? document.createElement("img") : document.createElement("span");
    if (thumbnail) {
      picture.src = thumbnail.url;
      picture.alt = "";
      picture.loading = "lazy";
      picture.draggable = false;
    } else {
      picture.className = "no-thumbnail";
      picture.textContent = "no preview";
    }
    const caption = document.createElement("span");
    caption.className = "tile-title";
    caption.textContent = name;
    link.append(picture, caption);

    const box = document.createElement("input");
    box.type = "checkbox";
    box.className = "tile-select";
    box.setAttribute("aria-label", `Select ${name}`);
    box.addEventListener("change", () => {
      if (box.checked) this.selected.add(image.public_uuid);
      else this.selected.delete(image.public_uuid);
      li.classList.toggle("selected", box.checked);
      this.#selectionChanged();
    });

    li.addEventListener("dragstart", (event) => {
      // Dragging a selected tile drags the whole selection; any other tile goes alone.
      const uuids = this.selected.has(image.public_uuid) ? [...this.selected] : [image.public_uuid];
      event.dataTransfer.setData(DRAG_TYPE, JSON.stringify(uuids));
      event.dataTransfer.setData("text/plain", uuids.join("\n"));
      event.dataTransfer.effectAllowed = "copyMove";
    });
    li.append(link, box);
    return li;
  }

  #selectionChanged() {
    this.list.dispatchEvent(new CustomEvent(SELECTION_CHANGED, { bubbles: true, detail: [...this.selected] }));
  }
}
