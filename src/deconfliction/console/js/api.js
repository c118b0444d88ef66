// The line's HTTP API, as the console calls it: the member's token in the Authorization
// header, JSON both ways, errors as ApiError carrying the line's code, message and pointer.
import * as session from "./session.js";

export const GEOJSON = "application/geo+json";

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message || `HTTP ${status}`);
    this.status = status;
    this.code = body?.error || "http_error";
    this.pointer = body?.pointer || "";
    this.errors = body?.errors || [];
  }
}

/** One call: `api("/v1/conflicts")`, `api(path, {method: "POST", body})`, `{geo: true}` for
 * GeoJSON, `{ifMatch: etag}`; resolves to `{body, etag, response}`. */
export async function call(path, { method = "GET", body, geo = false, ifMatch, signal } = {}) {
  const headers = { Accept: geo ? GEOJSON : "application/json" };
  const tok = session.token();
  if (tok) headers.Authorization = `Bearer ${tok}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (ifMatch) headers["If-Match"] = ifMatch;
  const response = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: "no-store",
    credentials: "omit",
    signal,
  });
  const text = await response.text();
  let parsed = null;
  if (text) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = { message: text.slice(0, 200) };
    }
  }
  if (!response.ok) throw new ApiError(response.status, parsed);
  return { body: parsed, etag: response.headers.get("ETag"), response };
}

/** A plain-text answer (a signed checkpoint), or an ApiError. */
export async function text(path) {
  const headers = { Accept: "text/plain" };
  const tok = session.token();
  if (tok) headers.Authorization = `Bearer ${tok}`;
  const response = await fetch(path, { headers, cache: "no-store", credentials: "omit" });
  const body = await response.text();
  if (!response.ok) throw new ApiError(response.status, { message: body.slice(0, 200) });
  return body;
}

/** The parts of a signed note's checkpoint. */
function parseCheckpoint(note) {
  const [body, signatures = ""] = note.split("\n\n");
  const [origin, size, root] = body.split("\n");
  const sig = signatures.split("\n").find((line) => line.startsWith("\u2014 ")) || "";
  const [, key = "", blob = ""] = sig.split(" ");
  let keyId = "";
  try {
    keyId = [...atob(blob).slice(0, 4)].map((c) => c.charCodeAt(0).toString(16).padStart(2, "0")).join("");
  } catch {
    keyId = "";
  }
  return { origin, size: Number(size), root, key, keyId };
}

/** The line's latest signed checkpoint, parsed; an ApiError (404) while it has signed none. */
export async function checkpoint() {
  return parseCheckpoint(await text("/v1/record/checkpoint"));
}

export async function get(path, options) {
  return (await call(path, options)).body;
}

/** Every item of a paged list, following `next` (`key`: the list's field; GeoJSON: features). */
export async function all(path, key, { geo = false, limit = 1000 } = {}) {
  const items = [];
  const sep = path.includes("?") ? "&" : "?";
  let url = `${path}${sep}limit=${limit}`;
  for (;;) {
    const body = await get(url, { geo });
    items.push(...(geo ? body.features : body[key]));
    if (!body.next) return items;
    url = `${path}${sep}limit=${limit}&cursor=${encodeURIComponent(body.next)}`;
  }
}
