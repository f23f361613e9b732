// The library API as the console calls it: the token from sessionStorage as a Bearer header,
// errors as ApiError carrying the envelope's code, and a fresh Idempotency-Key per write.

const TOKEN_KEY = "darkroom.token";

export const token = {
  get: () => sessionStorage.getItem(TOKEN_KEY),
  set: (value) => sessionStorage.setItem(TOKEN_KEY, value),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

export class ApiError extends Error {
  constructor(status, envelope) {
    const error = envelope?.error ?? {};
    super(error.message || `The server answered ${status}.`);
    this.status = status;
    this.code = error.code ?? "http_" + status;
    this.field = error.field ?? null;
    this.position = error.position ?? null;
    this.requestId = error.request_id ?? null;
  }
}

// crypto.randomUUID exists only in secure contexts; a console opened over plain HTTP on a LAN
// address is not one, but getRandomValues works everywhere.
export function newKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

// Any call answered 401 means the token went bad (revoked, expired): the page signs out.
export const UNAUTHORIZED = "darkroom:unauthorized";

export async function call(method, path, { body, headers = {}, signal } = {}) {
  const sent = { Authorization: `Bearer ${token.get()}`, ...headers };
  if (body !== undefined) sent["Content-Type"] = "application/json";
  // The console keeps ETags itself (operations): the HTTP cache must not answer for the server.
  const response = await fetch(path, {
    method,
    headers: sent,
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: "no-store",
    signal,
  });
  const type = response.headers.get("Content-Type") || "";
  const data = response.status !== 304 && type.startsWith("application/json") ? await response.json() : null;
  if (!response.ok && response.status !== 304) {
    if (response.status === 401) document.dispatchEvent(new CustomEvent(UNAUTHORIZED));
    throw new ApiError(response.status, data);
  }
  return { status: response.status, data, headers: response.headers };
}

export async function read(path, options) {
  return (await call("GET", path, options)).data;
}

// A write of the library API: answered 202 with the operation (or 201 with an upload ticket).
export async function write(method, path, body) {
  return (await call(method, path, { body, headers: { "Idempotency-Key": newKey() } })).data;
}

export function query(params) {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    for (const one of [value].flat()) {
      if (one !== null && one !== undefined && one !== "") search.append(name, String(one));
    }
  }
  const text = search.toString();
  return text ? "?" + text : "";
}

export function describe(error) {
  if (!(error instanceof ApiError)) return "The server could not be reached.";
  const where = error.position !== null ? ` (at character ${error.position + 1})` : "";
  const field = error.field ? ` [${error.field}]` : "";
  return `${error.message}${where}${field}`;
}
