// The review page's way to the server: the JSON API with the investigator's bearer token, kept
// in this browser (apart from the console's, so an operator's console and a reviewer's page
// can run side by side). Read-only: the page only ever GETs.
const KEY = "liftrescue.review.token";

let token = localStorage.getItem(KEY) || "";

/** The token kept ("" when signed out). */
export function currentToken() {
  return token;
}

/** Keeps the token in this browser. */
export function keepToken(secret) {
  token = secret;
  localStorage.setItem(KEY, secret);
}

/** Forgets the token. */
export function forgetToken() {
  token = "";
  localStorage.removeItem(KEY);
}

/** A refused or failed request: its HTTP status, the API's code and its message. */
export class ApiFailure extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** GETs a path; the Response, or an `ApiFailure` with the API's words. */
export async function fetchOk(path, secret = token) {
  let res;
  try {
    res = await fetch(path, { headers: { Authorization: `Bearer ${secret}` }, cache: "no-store" });
  } catch (e) {
    throw new ApiFailure(0, "network", e.message || String(e));
  }
  if (!res.ok) {
    let err = {};
    try {
      err = (await res.json()).error || {};
    } catch {
      err = {};
    }
    throw new ApiFailure(res.status, err.code || String(res.status), err.message || res.statusText);
  }
  return res;
}

/** GETs a path as JSON. */
export async function get(path, secret = token) {
  return (await fetchOk(path, secret)).json();
}

/** A query string from an object, leaving out empty values. */
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== "" && v != null) q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : "";
}

/** The values of a form as an object. */
export function formValues(form) {
  return Object.fromEntries(new FormData(form).entries());
}

/** Saves a fetched body as a file: the report, the seals, an export. */
export async function download(path, name) {
  const blob = await (await fetchOk(path)).blob();
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10000);
}
