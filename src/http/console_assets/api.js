// The console's only way to the server: the JSON API with the operator's bearer token. Every
// POST carries a fresh Idempotency-Key, so a retry after a lost answer acts once. A refusal
// comes back as the API's own message, to be shown in words.
const KEY = "liftrescue.console.token";

let token = localStorage.getItem(KEY) || "";
let onSignedOut = () => {};

/** The token kept for the shift ("" when signed out). */
export function currentToken() {
  return token;
}

/** Keeps the token in this browser for the shift. */
export function keepToken(secret) {
  token = secret;
  localStorage.setItem(KEY, secret);
}

/** Forgets the token. */
export function forgetToken() {
  token = "";
  localStorage.removeItem(KEY);
}

/** What to do when the server says the token no longer works (401). */
export function whenSignedOut(f) {
  onSignedOut = f;
}

/** A random UUID (v4); `crypto.randomUUID` exists only on secure origins. */
export function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** A refused or failed request: its HTTP status, the API's code and its message. */
export class ApiFailure extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** Calls the API; the JSON answer, or an `ApiFailure` with the API's words. */
export async function call(method, path, body, secret = token) {
  const headers = { Authorization: `Bearer ${secret}`, Accept: "application/json" };
  const init = { method, headers, cache: "no-store" };
  if (method !== "GET") {
    headers["Idempotency-Key"] = uuid();
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body ?? {});
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch (e) {
    throw new ApiFailure(0, "network", e.message || String(e));
  }
  const text = await res.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (!res.ok) {
    const err = json && json.error ? json.error : {};
    if (res.status === 401 && secret === token) onSignedOut();
    throw new ApiFailure(res.status, err.code || String(res.status), err.message || res.statusText);
  }
  return json;
}

/** GET a path. */
export const get = (path) => call("GET", path);

/** POST a JSON body. */
export const post = (path, body) => call("POST", path, body);
