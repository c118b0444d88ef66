// The picture: the basemap, then notices (one layer per volume, shown while the picture's time
// is in that volume's window), conflicts where they are, live tracks, and whatever the panels
// add (requests and agreements, a drawing in progress). Colour says whose: my party blue, each
// other party its own; a protected notice has a thick crimson edge. Conflicts take the colour
// of their severity. Only what the API gave is drawn: a redacted side has no geometry to draw.
import { addBasemap } from "./basemap.js";
import { h, said } from "./dom.js";
import { t } from "./i18n.js";
import { mine, on, partyName, pictureTime, select, state } from "./store.js";
import { mark } from "./canvas.js";
import { actions } from "./details.js";
import { AFFILIATIONS, affiliation, chooseAffiliation, tracksLayer } from "./tracks.js";

export const SEVERITY_COLOURS = { warning: "#c8102e", caution: "#d17a00", advisory: "#5a6470" };
const OWN = "#1f5fbf";
const OTHERS = ["#7b3fbf", "#00796b", "#9c6b00", "#ad1457", "#37474f", "#4e6e00"];
export const PROTECTED = "#c2185b";

let map;
let noticeLayer;
let conflictLayer;
let tracks;
const volumeLayers = new Map(); // notice id -> [{layer, start, end}]

export function partyColour(slug) {
  if (mine(slug)) return OWN;
  const others = state.parties.filter((p) => !mine(p.slug)).map((p) => p.slug);
  const i = others.indexOf(slug);
  return OTHERS[(i < 0 ? others.length : i) % OTHERS.length];
}

export function leafletMap() {
  return map;
}

function noticeStyle(notice) {
  const colour = notice.protected ? PROTECTED : partyColour(notice.party);
  const own = mine(notice.party);
  return {
    color: colour,
    weight: notice.protected ? 4 : own ? 2.5 : 1.8,
    opacity: 0.95,
    fillColor: partyColour(notice.party),
    fillOpacity: notice.kind === "site" ? 0.3 : notice.kind === "movement" ? 0.22 : 0.12,
    dashArray: notice.kind === "movement" ? "10 5" : own ? null : "6 4",
  };
}

function parts(feature) {
  const g = feature.geometry;
  if (!g) return [];
  const polygons = g.type === "Polygon" ? [g.coordinates] : g.coordinates;
  const counts = feature.volume_parts || [polygons.length];
  const out = [];
  let i = 0;
  counts.forEach((n, v) => {
    const mineOnly = polygons.slice(i, i + n);
    i += n;
    const volume = feature.properties.volumes[v] || feature.properties.volumes[0];
    out.push({
      volume: v,
      start: Date.parse(volume.time.start),
      end: Date.parse(volume.time.end),
      geometry: mineOnly.length === 1
        ? { type: "Polygon", coordinates: mineOnly[0] }
        : { type: "MultiPolygon", coordinates: mineOnly },
    });
  });
  return out;
}

function drawNotices() {
  noticeLayer.clearLayers();
  volumeLayers.clear();
  for (const feature of state.notices.values()) {
    const notice = feature.properties;
    if (notice.state && notice.state !== "active") continue;
    const layers = parts(feature).map((part) => {
      const layer = L.geoJSON(part.geometry, { style: noticeStyle(notice) });
      layer.on("click", (e) => chosen(e, "notice", feature.id));
      // an element, not a string: Leaflet would parse a string as HTML, and the title is theirs
      layer.bindTooltip(() => h("span", {}, said(noticeTip(notice))), { sticky: true, direction: "top" });
      return { layer, start: part.start, end: part.end };
    });
    volumeLayers.set(feature.id, layers);
  }
  showAt();
}

/** A click on a volume or a conflict's area: a track drawn over it is what was meant (the
 * tracks' canvas lets clicks through to the layers beneath). */
function chosen(e, type, id) {
  L.DomEvent.stopPropagation(e);
  const hit = tracks.pick(e.containerPoint);
  if (hit) select("track", hit);
  else select(type, id);
}

function noticeTip(notice) {
  const who = mine(notice.party) ? t("map.own") : partyName(notice.party);
  const label = `${notice.title} — ${t(`notice.kind.${notice.kind}`)}, ${who}`;
  return notice.protected ? `${label} (${t("notice.protected")})` : label;
}

function showAt() {
  const now = pictureTime().getTime();
  let count = 0;
  for (const layers of volumeLayers.values()) {
    for (const { layer, start, end } of layers) {
      const shown = start <= now && now < end;
      count += shown;
      if (shown && !noticeLayer.hasLayer(layer)) noticeLayer.addLayer(layer);
      if (!shown && noticeLayer.hasLayer(layer)) noticeLayer.removeLayer(layer);
    }
  }
  mark("console:notices-shown", { notices: volumeLayers.size, volumes: count });
  drawConflicts();
  tracks.setLive(state.at === null || Math.abs(state.at - Date.now()) < 120000);
}

function conflictShown(c) {
  // an encounter of live tracks is now; an overlap of plans is drawn while it holds, like the
  // volumes it is made of (choosing one in the list moves the picture to its start)
  if (!c.window) return state.at === null;
  const now = pictureTime().getTime();
  return Date.parse(c.window.start) <= now && now < Date.parse(c.window.end);
}

function drawConflicts() {
  conflictLayer.clearLayers();
  for (const feature of state.conflicts.values()) {
    const c = feature.properties;
    if (!feature.geometry || !conflictShown(c)) continue;
    const colour = SEVERITY_COLOURS[c.severity] || SEVERITY_COLOURS.advisory;
    const settled = c.status === "acknowledged";
    const layer = L.geoJSON(feature.geometry, {
      style: { color: colour, weight: 3, opacity: settled ? 0.5 : 1, fillColor: colour, fillOpacity: 0.18, dashArray: settled ? "3 5" : null },
      pointToLayer: (_, latlng) =>
        L.circleMarker(latlng, { radius: 14, color: colour, weight: 3, fill: false, opacity: settled ? 0.5 : 1 }),
    });
    layer.on("click", (e) => chosen(e, "conflict", feature.id));
    layer.bindTooltip(() => h("span", {}, `${t(`conflict.kind.${c.kind}`)} — ${t(`severity.${c.severity}`)}`), { sticky: true });
    conflictLayer.addLayer(layer);
  }
}

/** Centre the map on a feature (a notice's or a conflict's GeoJSON). */
export function focus(feature) {
  if (!feature?.geometry) return false;
  const bounds = L.geoJSON(feature.geometry).getBounds();
  if (!bounds.isValid()) return false;
  map.fitBounds(bounds, { maxZoom: 10, padding: [40, 40] });
  return true;
}

export function focusPoint(lat, lon, zoom = 9) {
  map.setView([lat, lon], Math.max(map.getZoom(), zoom));
}

function legend() {
  const control = L.control({ position: "bottomleft" });
  control.onAdd = () => {
    const div = L.DomUtil.create("div", "legend");
    div.setAttribute("aria-hidden", "true");
    const item = (cls, key) => {
      const row = L.DomUtil.create("div", "legend-row", div);
      L.DomUtil.create("span", `swatch ${cls}`, row);
      const label = L.DomUtil.create("span", "", row);
      label.dataset.i18n = key;
      label.textContent = t(key);
    };
    item("own", "map.own");
    item("other", "map.other");
    item("protected", "notice.protected");
    item("warning", "severity.warning");
    item("caution", "severity.caution");
    item("advisory", "severity.advisory");
    return div;
  };
  return control;
}

export async function createMap(element) {
  map = L.map(element, {
    worldCopyJump: true,
    minZoom: 2,
    maxZoom: 16,
    zoomSnap: 0.5,
    keyboard: true,
    attributionControl: true,
  }).setView([35.3, 40.1], 8);
  map.attributionControl.setPrefix("Leaflet");
  for (const [name, z] of [["basemap", 150], ["detail", 160], ["places", 450], ["tracks", 620]]) {
    map.createPane(name).style.zIndex = String(z);
  }
  map.getPane("places").style.pointerEvents = "none";
  map.getPane("tracks").style.pointerEvents = "none";
  noticeLayer = L.featureGroup().addTo(map);
  conflictLayer = L.featureGroup().addTo(map);
  tracks = tracksLayer(map);
  legend().addTo(map);
  actions("track", (tr) => (mine(tr.party) ? [] : [affiliationChoice(tr.party)]));
  map.on("click", (e) => {
    const hit = tracks.pick(e.containerPoint);
    if (hit) select("track", hit);
  });
  on("notices", drawNotices);
  on("conflicts", drawConflicts);
  on("time", showAt);
  on("tracks", () => tracks.redraw());
  await addBasemap(map);
  return map;
}

/** On another party's track card: how this member shows that party's tracks (kept in this
 * browser only). */
function affiliationChoice(party) {
  const id = `affiliation-${party}`;
  const select = h(
    "select",
    {
      id,
      onchange: (e) => {
        chooseAffiliation(party, e.target.value);
        tracks.redraw();
      },
    },
    AFFILIATIONS.map((code) => h("option", { value: code, selected: affiliation(party) === code }, t(`affiliation.${code.toLowerCase()}`))),
  );
  return h("label", { for: id, class: "affiliation" }, t("affiliation.show_as", { party: partyName(party) }), " ", select);
}

/** Frame everything the member may see, once, after the first load. */
export function frame() {
  const group = L.featureGroup([...volumeLayers.values()].flat().map((v) => v.layer));
  const bounds = group.getBounds();
  if (bounds.isValid()) map.fitBounds(bounds, { padding: [30, 30], maxZoom: 10 });
}
