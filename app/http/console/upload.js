// Uploads by drag and drop (or the file picker): per file, an upload ticket, the file sent to
// the ticket's URL with its signed fields (XMLHttpRequest, for upload progress), then the
// `upload` operation followed until the image exists. A few files at a time.

import { ApiError, describe, write } from "./api.js";
import { IMAGES_CHANGED } from "./grid.js";
import { follow } from "./operations.js";

const AT_ONCE = 2;

export class Uploader {
  constructor({ zone, input, list, currentSet }) {
    this.list = list;
    this.currentSet = currentSet;
    this.waiting = [];
    this.running = 0;
    zone.addEventListener("dragover", (event) => {
      if (!event.dataTransfer.types.includes("Files")) return;
      event.preventDefault();
      event.dataTransfer.dropEffect = "copy";
      zone.classList.add("drag-over");
    });
    zone.addEventListener("dragleave", () => zone.classList.remove("drag-over"));
    zone.addEventListener("drop", (event) => {
      zone.classList.remove("drag-over");
      if (!event.dataTransfer.files.length) return;
      event.preventDefault();
      this.add(event.dataTransfer.files);
    });
    input.addEventListener("change", () => {
      this.add(input.files);
      input.value = "";
    });
  }

  add(files) {
    const set = this.currentSet();
    for (const file of files) this.waiting.push({ file, set, row: this.#row(file) });
    this.#next();
  }

  #next() {
    while (this.running < AT_ONCE && this.waiting.length) {
      const job = this.waiting.shift();
      this.running += 1;
      this.#upload(job).finally(() => {
        this.running -= 1;
        this.#next();
      });
    }
  }

  async #upload({ file, set, row }) {
    try {
      const body = { filename: file.name };
      if (set) body.set_public_uuid = set.uuid;
      const ticket = await write("POST", "/v1/uploads", body);
      row.say("sending");
      const accepted = await send(ticket, file, (fraction) => row.progress(fraction));
      row.say("processing");
      const operation = await follow(accepted, `Upload ${file.name}`);
      if (operation.status === "succeeded") {
        row.say("done", "succeeded");
        document.dispatchEvent(new CustomEvent(IMAGES_CHANGED, { detail: operation.result }));
      } else {
        row.say(operation.error?.message || operation.status, "failed");
      }
    } catch (error) {
      row.say(describe(error), "failed");
    }
  }

  #row(file) {
    const li = document.createElement("li");
    li.className = "upload";
    li.dataset.status = "waiting";
    const name = document.createElement("span");
    name.className = "upload-name";
    name.textContent = file.name;
    const bar = document.createElement("progress");
    bar.max = 1;
    bar.value = 0;
    bar.setAttribute("aria-label", `Sending ${file.name}`);
    const state = document.createElement("span");
    state.className = "upload-state";
    state.setAttribute("role", "status");
    state.textContent = "waiting";
    li.append(name, bar, state);
    this.list.prepend(li);
    return {
      progress: (fraction) => {
        bar.value = fraction;
      },
      say: (text, outcome) => {
        state.textContent = text;
        li.dataset.status = outcome || text;
        if (outcome) bar.value = 1;
      },
    };
  }
}

function send(ticket, file, onProgress) {
  const form = new FormData();
  for (const [name, value] of Object.entries(ticket.fields)) form.append(name, value);
  form.append(ticket.file_field, file, file.name);
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open("POST", ticket.upload_url);
    request.responseType = "json";
    request.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    });
    request.addEventListener("load", () => {
      if (request.status === 202) resolve(request.response);
      else reject(new ApiError(request.status, request.response));
    });
    request.addEventListener("error", () => reject(new TypeError("network error")));
    request.send(form);
  });
}
