// Live tracks on one canvas: a MIL-STD-2525 frame (milsymbol) by domain, my party's as friend
// and every other party's as neutral unless this member chooses otherwise for that party (the
// parties choose how they see each other; the line does not choose for them: the choice stays
// in this browser, `affiliation()`), a speed vector to where the track will be in one minute, and its
// callsign while no more than LABELS_MAX tracks are in view (zoom in to read them). A stopped
// convoy has no vector; a stale track is drawn faded. 5,000 tracks are redrawn every second:
// bench/console.py measures it.
import { canvasLayer, mark } from "./canvas.js";
import { mine, state } from "./store.js";

const VECTOR_S = 60; // the speed vector reaches where the track will be in a minute
const DIMENSION = { air: "A", ground: "G", sea: "S", surface: "S" };
const symbols = new Map();

/** How this member shows another party's tracks: neutral (N, the default), friend (F), unknown
 * (U) or hostile (H); kept in this browser for this member only (a liaison terminal may be
 * shared), never sent to the line. */
export const AFFILIATIONS = ["N", "F", "U", "H"];
const chosenKey = () => `deconfliction.affiliation.${state.me?.member}`;

function chosen() {
  try {
    return JSON.parse(localStorage.getItem(chosenKey()) || "{}");
  } catch {
    return {};
  }
}

export function affiliation(party) {
  if (mine(party)) return "F";
  const code = chosen()[party];
  return AFFILIATIONS.includes(code) ? code : "N";
}

export function chooseAffiliation(party, code) {
  const all = chosen();
  all[party] = code;
  localStorage.setItem(chosenKey(), JSON.stringify(all));
  shownAs.clear();
}

const shownAs = new Map(); // party -> its affiliation code, not read again for each of 5,000 tracks

function sidc(track) {
  let shown = shownAs.get(track.party);
  if (!shown) {
    shown = affiliation(track.party);
    shownAs.set(track.party, shown);
  }
  const dimension = DIMENSION[track.domain] || "G";
  return `S${shown}${dimension}P-----------`;
}

function symbol(code) {
  let made = symbols.get(code);
  if (!made) {
    const s = new ms.Symbol(code, { size: 18, fill: true, frame: true });
    made = { canvas: s.asCanvas(window.devicePixelRatio || 1), anchor: s.getAnchor(), size: s.getSize() };
    made.image = made.canvas;
    // an ImageBitmap is blitted faster than a canvas (no snapshot of it per drawImage)
    if (window.createImageBitmap) createImageBitmap(made.canvas).then((b) => { made.image = b; }, () => {});
    symbols.set(code, made);
  }
  return made;
}

const R_MERCATOR = 6378137; // Leaflet's spherical Mercator (EPSG:3857)
const MAX_LAT = 85.0511287798;
const LABELS_MAX = 400; // more tracks in view than this and callsigns would only be a smear

export function tracksLayer(map) {
  let live = true;
  let drawn = []; // [x, y, key] of the last draw, for picking
  const layer = canvasLayer(
    (ctx, m, size) => {
      drawn = [];
      if (!live) return;
      // Where each track is on the screen, in plain arithmetic: Leaflet's latLngToContainerPoint
      // makes objects per call, and 5,000 tracks are redrawn every second. Mercator pixels at
      // this zoom, moved by one offset read from Leaflet itself so the two always agree.
      const scale = 256 * 2 ** m.getZoom();
      const o = m.latLngToContainerPoint([0, 0]);
      const ox = o.x - scale / 2;
      const oy = o.y - scale / 2;
      const perM = scale / (2 * Math.PI * R_MERCATOR); // pixels per metre at the equator
      const now = Date.now();
      const seen = []; // [x, y, track, stale]
      for (const [key, tr] of state.tracks) {
        const lat = Math.max(-MAX_LAT, Math.min(MAX_LAT, tr.lat));
        const x = ox + scale * (tr.lon / 360 + 0.5);
        const y = oy + scale * (0.5 - Math.log(Math.tan(Math.PI / 4 + (lat * Math.PI) / 360)) / (2 * Math.PI));
        if (x < -20 || y < -20 || x > size.x + 20 || y > size.y + 20) continue;
        const stale = now - Date.parse(tr.time) > (tr.stale_s || 30) * 1000;
        seen.push([x, y, tr, stale]);
        drawn.push([x, y, key]);
      }
      // speed vectors: one path for the live and one for the stale, not a stroke per track; a
      // minute's travel is short enough to draw straight on the Mercator plane
      ctx.strokeStyle = "#111";
      ctx.lineWidth = 1.5;
      for (const faded of [false, true]) {
        ctx.globalAlpha = faded ? 0.4 : 1;
        ctx.beginPath();
        for (const [x, y, tr, stale] of seen) {
          if (stale !== faded || !(tr.gs_mps > 0.5) || tr.stopped_since) continue;
          const k = (perM * tr.gs_mps * VECTOR_S) / Math.cos((tr.lat * Math.PI) / 180);
          const a = (tr.trk_deg * Math.PI) / 180;
          ctx.moveTo(x, y);
          ctx.lineTo(x + k * Math.sin(a), y - k * Math.cos(a));
        }
        ctx.stroke();
      }
      const r = window.devicePixelRatio || 1;
      for (const [x, y, tr, stale] of seen) {
        const s = symbol(sidc(tr));
        ctx.globalAlpha = stale ? 0.4 : 1;
        // whole pixels: a blit, not a resampling
        ctx.drawImage(s.image, Math.round(x - s.anchor.x), Math.round(y - s.anchor.y), s.canvas.width / r, s.canvas.height / r);
      }
      if (seen.length <= LABELS_MAX) {
        ctx.font = "11px system-ui, sans-serif";
        ctx.textBaseline = "top";
        ctx.lineWidth = 3;
        ctx.strokeStyle = "rgba(255,255,255,0.9)";
        ctx.fillStyle = "#111";
        for (const [x, y, tr, stale] of seen) {
          const s = symbol(sidc(tr));
          const label = tr.callsign || tr.uid;
          ctx.globalAlpha = stale ? 0.4 : 1;
          ctx.strokeText(label, x + s.size.width / 2 + 2, y + 2);
          ctx.fillText(label, x + s.size.width / 2 + 2, y + 2);
        }
      }
      ctx.globalAlpha = 1;
      mark("console:tracks-drawn", { drawn: drawn.length, held: state.tracks.size });
    },
    {
      pane: "tracks",
      pick(point) {
        let best = null;
        let bestD = 14 * 14;
        for (const [x, y, key] of drawn) {
          const d = (x - point.x) ** 2 + (y - point.y) ** 2;
          if (d < bestD) {
            bestD = d;
            best = key;
          }
        }
        return best;
      },
    },
  );
  layer.addTo(map);
  layer.setLive = (value) => {
    if (value !== live) {
      live = value;
      layer.redraw();
    }
  };
  layer.count = () => drawn.length;
  return layer;
}
