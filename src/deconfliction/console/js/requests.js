// Requests and agreements on the map: the area a vacate or keep-clear request (or a counter)
// asks for, dashed; an agreement the line enforces (an accepted request, on the terms of the
// counter its party accepted), solid and filled. Each is labelled by its request
// kind and shown only while its window holds the picture's time — except a request to my party
// still awaiting my answer, which is drawn thick in the warning colour whatever the time, so it
// is not missed. Only what the thread messages give is drawn. A click opens the thread.
import { onChange, t } from "./i18n.js";
import { leafletMap, partyColour, SEVERITY_COLOURS } from "./map.js";
import { on, pictureTime, select } from "./store.js";
import { awaitsMe } from "./sayings.js";

const AGREED = "#00695c";
let group = null;
let shapes = []; // [{layer, start, end, always}]
let last = [];

/** A Leaflet layer for a volume as the API gives it: polygon, circle (Point + radius_m) or
 * corridor (LineString + half_width_m, drawn as its centre line). */
export function areaLayer(volume, style) {
  const f = volume.footprint;
  if (f.type === "Point") {
    return L.circle([f.coordinates[1], f.coordinates[0]], { radius: volume.radius_m || 1000, ...style });
  }
  if (f.type === "LineString") {
    return L.polyline(f.coordinates.map(([lon, lat]) => [lat, lon]), { ...style, weight: Math.max(style.weight, 6) });
  }
  return L.geoJSON(f, { style });
}

/** The agreement's area: the request's, or the accepted counter's volume and window. */
function onTerms(request, counter) {
  if (!counter) return request.volume;
  const volume = counter.volume || request.volume;
  if (!volume) return null;
  return counter.window ? { ...volume, time: counter.window } : volume;
}

function label(kind, stateKey) {
  return `${t(`request.kind.${kind}`)} — ${t(stateKey)}`;
}

function add(m, volume, style, text, always) {
  const layer = areaLayer(volume, style);
  layer.bindTooltip(text, { permanent: true, direction: "center", className: "request-label" });
  layer.on("click", (e) => {
    L.DomEvent.stopPropagation(e);
    select("thread", m.thread);
  });
  shapes.push({ layer, start: Date.parse(volume.time.start), end: Date.parse(volume.time.end), always });
}

/** Redraw from every message this member may see. */
export function update(messages) {
  if (!group) return;
  last = messages;
  shapes = [];
  const byId = new Map(messages.map((m) => [m.id, m]));
  for (const m of messages) {
    const asked = m.kind === "request" ? m : m.reply === "counter" ? byId.get(m.in_reply_to) : null;
    if (!asked) continue;
    const kind = asked.request;
    if (m.kind === "request" && m.commitment === "in force") {
      const counter = messages.find((c) => c.reply === "counter" && c.in_reply_to === m.id && c.state === "accepted");
      const volume = onTerms(m, counter);
      if (volume) add(m, volume, { color: AGREED, weight: 3, fillColor: AGREED, fillOpacity: 0.22, dashArray: null }, label(kind, "request.agreed"), false);
      continue;
    }
    if (!m.volume || m.state !== "open") continue;
    if (awaitsMe(m)) {
      const urgent = SEVERITY_COLOURS.warning;
      add(m, m.volume, { color: urgent, weight: 5, fillColor: urgent, fillOpacity: 0.15, dashArray: "10 6", className: "request-urgent" }, label(kind, "request.awaiting_you"), true);
    } else {
      const colour = partyColour(m.party);
      add(m, m.volume, { color: colour, weight: 2.5, fillColor: colour, fillOpacity: 0.08, dashArray: "8 6" }, label(kind, m.kind === "request" ? "request.requested" : "request.countered"), false);
    }
  }
  showAt();
}

function showAt() {
  group.clearLayers();
  const now = pictureTime().getTime();
  for (const { layer, start, end, always } of shapes) {
    if (always || (start <= now && now < end)) group.addLayer(layer);
  }
}

/** Centre the map on a message's area. */
export function show(m) {
  if (!m.volume) return;
  const f = m.volume.footprint;
  const bounds = f.type === "Point"
    ? L.latLng(f.coordinates[1], f.coordinates[0]).toBounds(2 * (m.volume.radius_m || 1000))
    : areaLayer(m.volume, { weight: 1 }).getBounds();
  if (bounds.isValid()) leafletMap().fitBounds(bounds, { maxZoom: 11, padding: [40, 40] });
}

/** The layer, once the map exists. */
export function requestsLayer() {
  group = L.featureGroup().addTo(leafletMap());
  on("time", showAt);
  onChange(() => update(last));
}
