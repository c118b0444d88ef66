// Live tracks on one canvas: a MIL-STD-2525 frame (milsymbol) by domain, my party's as friend
// and every other party's as neutral (the parties choose how they see each other; the line
// does not choose for them), a speed vector to where the track will be in one minute, and its
// callsign. A stopped convoy has no vector; a stale track is drawn faded.
import { canvasLayer, mark } from "./canvas.js";
import { mine, state } from "./store.js";

const VECTOR_S = 60; // the speed vector reaches where the track will be in a minute
const DIMENSION = { air: "A", ground: "G", sea: "S", surface: "S" };
const EARTH_M = 6371008.8;
const symbols = new Map();

function sidc(track) {
  const affiliation = mine(track.party) ? "F" : "N";
  const dimension = DIMENSION[track.domain] || "G";
  return `S${affiliation}${dimension}P-----------`;
}

function symbol(code) {
  let made = symbols.get(code);
  if (!made) {
    const s = new ms.Symbol(code, { size: 18, fill: true, frame: true });
    made = { canvas: s.asCanvas(window.devicePixelRatio || 1), anchor: s.getAnchor(), size: s.getSize() };
    symbols.set(code, made);
  }
  return made;
}

/** Where a track at (lat, lon), going `trk` degrees at `gs` m/s, is after `s` seconds. */
function ahead(lat, lon, trk, gs, s) {
  const d = (gs * s) / EARTH_M;
  const a = (trk * Math.PI) / 180;
  const p1 = (lat * Math.PI) / 180;
  const l1 = (lon * Math.PI) / 180;
  const p2 = Math.asin(Math.sin(p1) * Math.cos(d) + Math.cos(p1) * Math.sin(d) * Math.cos(a));
  const l2 = l1 + Math.atan2(Math.sin(a) * Math.sin(d) * Math.cos(p1), Math.cos(d) - Math.sin(p1) * Math.sin(p2));
  return [(p2 * 180) / Math.PI, (l2 * 180) / Math.PI];
}

export function tracksLayer(map) {
  let live = true;
  let drawn = []; // [x, y, key] of the last draw, for picking
  const ratio = () => window.devicePixelRatio || 1;
  const layer = canvasLayer(
    (ctx, m, size) => {
      drawn = [];
      if (!live) return;
      const bounds = m.getBounds().pad(0.1);
      const now = Date.now();
      ctx.font = "11px system-ui, sans-serif";
      ctx.textBaseline = "top";
      for (const [key, tr] of state.tracks) {
        if (!bounds.contains([tr.lat, tr.lon])) continue;
        const p = m.latLngToContainerPoint([tr.lat, tr.lon]);
        if (p.x < -20 || p.y < -20 || p.x > size.x + 20 || p.y > size.y + 20) continue;
        const stale = now - Date.parse(tr.time) > (tr.stale_s || 30) * 1000;
        ctx.globalAlpha = stale ? 0.4 : 1;
        if (tr.gs_mps > 0.5 && !tr.stopped_since) {
          const [la, lo] = ahead(tr.lat, tr.lon, tr.trk_deg, tr.gs_mps, VECTOR_S);
          const q = m.latLngToContainerPoint([la, lo]);
          ctx.strokeStyle = "#111";
          ctx.lineWidth = 1.5;
          ctx.beginPath();
          ctx.moveTo(p.x, p.y);
          ctx.lineTo(q.x, q.y);
          ctx.stroke();
        }
        const s = symbol(sidc(tr));
        const r = ratio();
        ctx.drawImage(s.canvas, p.x - s.anchor.x, p.y - s.anchor.y, s.canvas.width / r, s.canvas.height / r);
        const label = tr.callsign || tr.uid;
        ctx.lineWidth = 3;
        ctx.strokeStyle = "rgba(255,255,255,0.9)";
        ctx.fillStyle = "#111";
        ctx.strokeText(label, p.x + s.size.width / 2 + 2, p.y + 2);
        ctx.fillText(label, p.x + s.size.width / 2 + 2, p.y + 2);
        ctx.globalAlpha = 1;
        drawn.push([p.x, p.y, key]);
      }
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
