// The offline basemap: Natural Earth 1:50m land, lakes, rivers and borders (public domain) and
// populated places of 20,000 people or more (GeoNames, CC BY 4.0), all served by the line from
// what scripts/console-build installed. Enough to see that a notice lies on the wrong side of
// the Euphrates, or 540 km off in the wrong country. An operator's own detailed map (raster
// tiles by URL template, or a PMTiles file the line serves) goes over it when configured.
import { canvasLayer } from "./canvas.js";
import { onChange, t } from "./i18n.js";

const COLOURS = {
  land: "#efece3",
  lake: "#b9d3e6",
  river: "#5d93c4",
  border: "#8c8577",
  place: "#3b3b3b",
};

// the smallest population named at each zoom level, and the dot's radius
function placeFloor(zoom) {
  if (zoom <= 3) return 5e6;
  if (zoom <= 4) return 2e6;
  if (zoom <= 5) return 7e5;
  if (zoom <= 6) return 2.5e5;
  if (zoom <= 7) return 8e4;
  return 0;
}

export async function addBasemap(map) {
  const [world, places, config] = await Promise.all(
    ["/console/vendor/basemap/world.json", "/console/vendor/basemap/places.json", "/console/config.json"].map(
      async (url) => (await fetch(url)).json(),
    ),
  );
  const renderer = L.canvas({ pane: "basemap", padding: 0.2 });
  const objects = world.objects;
  const geo = (obj) => topojson.feature(world, obj);
  L.geoJSON(geo(objects.land), {
    renderer,
    interactive: false,
    style: { stroke: false, fillColor: COLOURS.land, fillOpacity: 1 },
  }).addTo(map);
  L.geoJSON(geo(objects.lakes), {
    renderer,
    interactive: false,
    style: { stroke: false, fillColor: COLOURS.lake, fillOpacity: 1 },
  }).addTo(map);
  L.geoJSON(geo(objects.rivers), {
    renderer,
    interactive: false,
    style: { color: COLOURS.river, weight: 1.4, opacity: 0.9 },
  }).addTo(map);
  const borders = topojson.mesh(world, objects.countries, (a, b) => a !== b);
  L.geoJSON(borders, {
    renderer,
    interactive: false,
    style: { color: COLOURS.border, weight: 1, dashArray: "4 3", opacity: 0.9 },
  }).addTo(map);
  const coast = topojson.mesh(world, objects.land);
  L.geoJSON(coast, {
    renderer,
    interactive: false,
    style: { color: COLOURS.border, weight: 0.7, opacity: 0.7 },
  }).addTo(map);

  canvasLayer(
    (ctx, m, size) => {
      const floor = placeFloor(m.getZoom());
      const bounds = m.getBounds().pad(0.05);
      ctx.font = "12px system-ui, sans-serif";
      ctx.textBaseline = "middle";
      const taken = [];
      for (const [lon, lat, name, population] of places) {
        if (population < floor) break; // sorted by population, largest first
        if (!bounds.contains([lat, lon])) continue;
        const p = m.latLngToContainerPoint([lat, lon]);
        const width = ctx.measureText(name).width;
        const box = [p.x - 3, p.y - 8, p.x + 6 + width, p.y + 8];
        if (taken.some((b) => box[0] < b[2] && box[2] > b[0] && box[1] < b[3] && box[3] > b[1])) continue;
        taken.push(box);
        ctx.fillStyle = COLOURS.place;
        ctx.beginPath();
        ctx.arc(p.x, p.y, population >= 1e6 ? 3 : 2, 0, 2 * Math.PI);
        ctx.fill();
        ctx.lineWidth = 3;
        ctx.strokeStyle = "rgba(255,255,255,0.85)";
        ctx.strokeText(name, p.x + 5, p.y);
        ctx.fillText(name, p.x + 5, p.y);
      }
    },
    { pane: "places" },
  ).addTo(map);

  // the credit follows the language (Leaflet takes it as markup: only our own catalogue's text)
  let credit = t("map.attribution");
  map.attributionControl.addAttribution(credit);
  onChange(() => {
    map.attributionControl.removeAttribution(credit);
    credit = t("map.attribution");
    map.attributionControl.addAttribution(credit);
  });
  const detail = config.detail;
  if (detail?.tiles) {
    L.tileLayer(detail.tiles, { pane: "detail", attribution: config.attribution || "" }).addTo(map);
  } else if (detail?.pmtiles) {
    const source = new pmtiles.PMTiles(detail.pmtiles);
    pmtiles.leafletRasterLayer(source, { pane: "detail", attribution: config.attribution || "" }).addTo(map);
  }
}
