// The console's entry point: sign-in, the two pages (images, one image) chosen by the URL's
// hash, and the events through which the parts tell each other what changed.

import { ApiError, UNAUTHORIZED, describe, read, token } from "./api.js";
import { Grid, IMAGES_CHANGED, SELECTION_CHANGED } from "./grid.js";
import { ImagePage } from "./image.js";
import { startPanel, stopPanel } from "./operations.js";
import { bindSearch, librarySource } from "./search.js";
import { SETS_CHANGED, SET_CHOSEN, SetsTree } from "./sets.js";
import { Uploader } from "./upload.js";

const $ = (id) => document.getElementById(id);

const grid = new Grid({ list: $("grid"), status: $("grid-status"), end: $("grid-end") });
const sets = new SetsTree({
  tree: $("set-tree"),
  error: $("sets-error"),
  createForm: $("set-create"),
  nameInput: $("set-name"),
  moveForm: $("set-move"),
  moveName: $("set-move-name"),
  parentSelect: $("set-parent"),
  targets: [$("move-target")],
});
const imagePage = new ImagePage({ section: $("image-page"), sets });
new Uploader({ zone: $("dropzone"), input: $("file-input"), list: $("uploads"), currentSet: () => sets.current });

function show(source) {
  $("grid-title").textContent = source.title;
  grid.show(source).catch((error) => {
    $("grid-status").textContent = describe(error);
  });
}

function showLibrary() {
  show(librarySource(sets.current
    ? { title: `Set: ${sets.current.name}`, set: sets.current.uuid }
    : { title: "All images" }));
}

bindSearch({
  form: $("search"),
  mode: $("search-mode"),
  text: $("search-text"),
  clear: $("search-clear"),
  error: $("search-error"),
  currentSet: () => sets.current,
  onSource: (source) => (source ? show(source) : showLibrary()),
});

// Pages

function route() {
  const match = location.hash.match(/^#\/image\/([^/]+)$/);
  $("library").hidden = Boolean(match);
  $("image-page").hidden = !match;
  if (match) imagePage.show(decodeURIComponent(match[1]));
}
window.addEventListener("hashchange", route);

// What changes elsewhere

let reloadSoon = null;
function reloadGrid({ withSets = false } = {}) {
  // Several uploads finishing together reload the grid (and the sets' counts) once.
  clearTimeout(reloadSoon);
  reloadSoon = setTimeout(() => {
    grid.reload();
    if (withSets) sets.load().catch(() => {});
  }, 150);
}

document.addEventListener(IMAGES_CHANGED, () => reloadGrid({ withSets: sets.current !== null }));
document.addEventListener(SET_CHOSEN, () => {
  $("search-text").value = "";
  $("search-error").textContent = "";
  if (location.hash.startsWith("#/image/")) location.hash = "#/";
  showLibrary();
});
document.addEventListener(SETS_CHANGED, (event) => {
  if (event.detail.moved) reloadGrid();
});
$("grid").addEventListener(SELECTION_CHANGED, (event) => {
  const count = event.detail.length;
  $("selection").textContent = count ? `${count} selected` : "No image selected";
  $("move-selected").disabled = count === 0;
});
$("move-selected").addEventListener("click", async () => {
  const node = sets.byUuid($("move-target").value);
  if (!node) return;
  try {
    await sets.place([...grid.selected], node);
  } catch (error) {
    $("selection").textContent = describe(error);
  }
});

// Signing in and out

async function signIn(value) {
  token.set(value);
  const me = await read("/v1/me");
  $("who").textContent = `${me.account.name} · ${me.token.name}`;
  $("signin").hidden = true;
  for (const id of ["console", "who", "sign-out"]) $(id).hidden = false;
  startPanel($("operations-list"), $("operations-announcer"));
  await sets.load();
  showLibrary();
  route();
}

function signOut(message = "") {
  token.clear();
  stopPanel();
  for (const id of ["console", "who", "sign-out"]) $(id).hidden = true;
  $("signin").hidden = false;
  $("signin-error").textContent = message;
  $("token").value = "";
  $("token").focus();
}

$("signin-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  $("signin-error").textContent = "";
  try {
    await signIn($("token").value.trim());
  } catch (error) {
    const why = error instanceof ApiError && error.status === 401
      ? `This token was not accepted: ${error.message}`
      : describe(error);
    signOut(why);
  }
});
$("sign-out").addEventListener("click", () => signOut());
document.addEventListener(UNAUTHORIZED, () => {
  if (!$("console").hidden) signOut("The server no longer accepts this token: sign in again.");
});

const kept = token.get();
if (kept) {
  signIn(kept).catch((error) => signOut(describe(error)));
} else {
  signOut();
}
