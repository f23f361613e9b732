// What the grid shows: the library list (newest first, or one set), a full-text `query` of the
// library API, or a query formula of the search API (`GET /imgs?q=`), each as a paged source.

import { call, describe, query } from "./api.js";

// The search API answers every field unless told: the grid needs only these.
const GRID_FIELDS = ["public_uuid", "title", "versions"];

export function librarySource({ title, text = "", set = null }) {
  return {
    title,
    async fetch(page, size) {
      const params = { limit: size, offset: page * size, query: text, set_public_uuid: set };
      const answer = await call("GET", "/v1/images" + query(params));
      return { images: answer.data, more: answer.headers.get("X-Has-More") === "true" };
    },
  };
}

export function formulaSource({ title, formula }) {
  return {
    title,
    async fetch(page, size) {
      const params = { q: formula, page: page + 1, limit: size, fields: GRID_FIELDS };
      const answer = await call("GET", "/imgs" + query(params));
      const { results, count } = answer.data;
      return { images: results, more: (page + 1) * size < count };
    },
  };
}

// Run a formula's first page at once, so that a malformed one is reported before the grid empties.
export async function checkFormula(formula) {
  await call("GET", "/imgs" + query({ q: formula, limit: 1, fields: ["public_uuid"], count: "false" }));
}

export function bindSearch({ form, mode, text, clear, error, onSource, currentSet }) {
  const placeholders = {
    query: 'sunset +harbour -boat "exact phrase"',
    formula: "t~harbour && o=landscape && d>=2020",
  };
  mode.addEventListener("change", () => {
    text.placeholder = placeholders[mode.value];
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    const words = text.value.trim();
    if (!words) return onSource(null);
    if (mode.value === "formula") {
      try {
        await checkFormula(words);
      } catch (failure) {
        error.textContent = `That formula is not valid: ${describe(failure)}`;
        return;
      }
      return onSource(formulaSource({ title: `Formula: ${words}`, formula: words }));
    }
    const set = currentSet();
    const within = set ? ` in ${set.name}` : "";
    onSource(librarySource({ title: `Search: ${words}${within}`, text: words, set: set?.uuid }));
  });
  clear.addEventListener("click", () => {
    text.value = "";
    error.textContent = "";
    onSource(null);
    text.focus();
  });
}
