// The live operations panel: the account's recent operations, refreshed with ETags, and the
// operations this console started, each followed with `Prefer: wait` (one request per change).

import { call } from "./api.js";

const TERMINAL = new Set(["succeeded", "failed", "canceled"]);
const LIST_EVERY_MS = 3000;
const WAIT_SECONDS = 20;
const SHOWN = 30;

const known = new Map(); // uuid → the operation as last seen
const labels = new Map(); // uuid → what the console said it was doing
let list;
let announcer;
let listTag = null;
let timer = null;

export function isFinished(operation) {
  return TERMINAL.has(operation.status);
}

export function startPanel(listElement, announcerElement) {
  list = listElement;
  announcer = announcerElement;
  refresh();
}

export function stopPanel() {
  clearTimeout(timer);
  timer = null;
  known.clear();
  labels.clear();
  listTag = null;
  if (list) list.replaceChildren();
  list = null; // a list request still under way schedules no other
}

async function refresh() {
  clearTimeout(timer);
  try {
    const headers = listTag ? { "If-None-Match": listTag } : {};
    const answer = await call("GET", `/v1/operations?limit=${SHOWN}`, { headers });
    if (answer.status === 200) {
      listTag = answer.headers.get("ETag");
      for (const operation of answer.data) remember(operation);
      render();
    }
  } catch {
    // The next round tries again; a bad token signs the page out through api.js.
  }
  if (list) timer = setTimeout(refresh, document.hidden ? LIST_EVERY_MS * 5 : LIST_EVERY_MS);
}

function remember(operation) {
  const before = known.get(operation.uuid);
  known.set(operation.uuid, operation);
  if (before && !isFinished(before) && isFinished(operation) && labels.has(operation.uuid)) {
    announcer.textContent = `${labels.get(operation.uuid)}: ${operation.status}.`;
  }
}

// Follow an operation until it finishes; resolves with it as it ended.
export async function follow(operation, label) {
  labels.set(operation.uuid, label || operation.type);
  remember(operation);
  render();
  let tag = null;
  while (!isFinished(operation)) {
    const headers = { Prefer: `wait=${WAIT_SECONDS}` };
    if (tag) headers["If-None-Match"] = tag;
    const answer = await call("GET", `/v1/operations/${operation.uuid}`, { headers });
    if (answer.status === 200) {
      operation = answer.data;
      tag = answer.headers.get("ETag");
      remember(operation);
      render();
    }
  }
  return operation;
}

function render() {
  if (!list) return;
  const newest = [...known.values()]
    .sort((a, b) => (a.created_at < b.created_at ? 1 : a.created_at > b.created_at ? -1 : 0))
    .slice(0, SHOWN);
  list.replaceChildren(...newest.map(item));
}

function item(operation) {
  const li = document.createElement("li");
  li.className = "operation";
  li.dataset.uuid = operation.uuid;
  li.dataset.type = operation.type;
  li.dataset.status = operation.status;

  const title = document.createElement("span");
  title.className = "operation-title";
  title.textContent = labels.get(operation.uuid) || operation.type.replaceAll("_", " ");
  const status = document.createElement("span");
  status.className = `status status-${operation.status}`;
  status.textContent = operation.status;
  li.append(title, status);

  const { total, done, failed } = operation.progress;
  if (!isFinished(operation) && total > 1) {
    const bar = document.createElement("progress");
    bar.max = total;
    bar.value = done + failed;
    bar.setAttribute("aria-label", `${title.textContent}: ${done + failed} of ${total}`);
    li.append(bar);
  }
  const detail = document.createElement("span");
  detail.className = "operation-detail";
  const parts = labels.has(operation.uuid) ? [operation.type] : [];
  const images = operation.image_public_uuids.length;
  if (images) parts.push(images === 1 ? "1 image" : `${images} images`);
  parts.push(new Date(operation.created_at).toLocaleTimeString());
  const problem = operation.error ? ` — ${operation.error.message}` : "";
  detail.textContent = parts.join(" · ") + problem;
  li.append(detail);
  return li;
}
