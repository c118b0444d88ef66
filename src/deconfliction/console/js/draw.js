// Drawing an area on the map for a notice's volume, a request or a counter-proposal: a polygon,
// a circle or a corridor (a line with a half-width), with Leaflet-Geoman's tools. What comes
// back is the line's own volume shape: `{footprint, radius_m?, half_width_m?}`, where a
// footprint is GeoJSON (lon, lat) as the API takes it.
import { leafletMap } from "./map.js";

export const SHAPES = ["polygon", "circle", "corridor"];
const TOOL = { polygon: "Polygon", circle: "Circle", corridor: "Line" };
const round = (x) => Math.round(x * 1e6) / 1e6;

let drawing = null; // the layer group of finished drawings shown while a form is open

function shown() {
  if (!drawing) drawing = L.featureGroup().addTo(leafletMap());
  return drawing;
}

/** The volume shape a finished Geoman layer stands for (`halfWidth`: a corridor's, metres). */
export function shapeOf(kind, layer, halfWidth = 1000) {
  if (kind === "circle") {
    const c = layer.getLatLng();
    return { footprint: { type: "Point", coordinates: [round(c.lng), round(c.lat)] }, radius_m: Math.round(layer.getRadius()) };
  }
  if (kind === "corridor") {
    const points = layer.getLatLngs().map((p) => [round(p.lng), round(p.lat)]);
    return { footprint: { type: "LineString", coordinates: points }, half_width_m: halfWidth };
  }
  const ring = layer.getLatLngs()[0].map((p) => [round(p.lng), round(p.lat)]);
  ring.push(ring[0]);
  return { footprint: { type: "Polygon", coordinates: [ring] } };
}

/** Let the user draw one `kind` of area; resolves to `{shape, layer}`, or null if cancelled
 * (Escape, or `cancel()`). The drawing stays on the map until `clear()`. */
export function drawArea(kind, { halfWidth = 1000, colour = "#0b5cad" } = {}) {
  const map = leafletMap();
  cancel();
  return new Promise((resolve) => {
    const done = (result) => {
      map.off("pm:create", created);
      map.off("pm:drawend", ended);
      pending = null;
      resolve(result);
    };
    const created = (e) => {
      e.layer.setStyle?.({ color: colour, weight: 3, dashArray: "6 3" });
      map.removeLayer(e.layer);
      shown().addLayer(e.layer);
      done({ shape: shapeOf(kind, e.layer, halfWidth), layer: e.layer });
    };
    const ended = () => setTimeout(() => pending && done(null), 0);
    pending = () => {
      map.pm.disableDraw();
      done(null);
    };
    map.on("pm:create", created);
    map.on("pm:drawend", ended);
    map.pm.enableDraw(TOOL[kind], { snappable: false, continueDrawing: false, templineStyle: { color: colour }, pathOptions: { color: colour } });
  });
}

let pending = null;

/** Stop a drawing in progress. */
export function cancel() {
  if (pending) pending();
}

/** Show a volume shape (as the API gives it) among the drawings, e.g. a pasted one. */
export function show(geojson, colour = "#0b5cad") {
  const layer = L.geoJSON(geojson, { style: { color: colour, weight: 3, dashArray: "6 3" } });
  shown().addLayer(layer);
  leafletMap().fitBounds(layer.getBounds(), { maxZoom: 11, padding: [40, 40] });
  return layer;
}

/** Take every drawing off the map. */
export function clear() {
  cancel();
  if (drawing) drawing.clearLayers();
}
