// What was clicked, in full: a notice, a conflict or a track, as the API told it. Panels add
// their own actions to a type (`actions("notice", (feature) => [buttons...])`).
import { byId, fill, h, said } from "./dom.js";
import { distance, number, t, utcAndLocal } from "./i18n.js";
import { on, partyName, state } from "./store.js";

const extra = new Map();
let shown = null;

export function actions(type, fn) {
  if (!extra.has(type)) extra.set(type, []);
  extra.get(type).push(fn);
}

function row(name, ...value) {
  return [h("dt", {}, name), h("dd", {}, ...value)];
}

function altitude(a) {
  if (!a) return t("details.any_height");
  const feet = (m) => number(Math.round(m / 0.3048));
  const part = (m) => (m === null || m === undefined ? "—" : t("details.m_ft", { m: number(m), ft: feet(m) }));
  return `${part(a.lower_m)} – ${part(a.upper_m)}`;
}

function noticeRows(f) {
  const n = f.properties;
  return [
    row(t("details.party"), said(partyName(n.party))),
    row(t("details.kind"), t(`notice.kind.${n.kind}`)),
    n.protected ? row(t("notice.protected"), t("details.yes")) : null,
    row(t("details.version"), number(n.version)),
    n.buffers ? row(t("details.buffers"), t("details.buffers_value", { h: number(n.buffers.h_m), v: number(n.buffers.v_m), s: number(n.buffers.t_s) })) : null,
    row(t("details.audience"), n.audience === "all" ? t("details.all") : n.audience.map(partyName).join(", ")),
    ...n.volumes.map((v, i) =>
      row(
        t("details.volume", { n: i + 1 }),
        `${utcAndLocal(v.time.start, { day: "always" })} → ${utcAndLocal(v.time.end, { day: "always" })}; `,
        altitude(v.altitude),
      ),
    ),
  ];
}

/** "Counterpart — Ground advance ..." or "Coalition — VIPER1": whose, and what if I may see it. */
export function sideName(s) {
  const notice = s.notice ? state.notices.get(s.notice) : null;
  const track = s.track ? state.tracks.get(`${s.party}/${s.track}`) : null;
  const what = notice ? notice.properties.title : track ? track.callsign || track.uid : s.track;
  return what ? `${partyName(s.party)} — ${what}` : partyName(s.party);
}

function conflictRows(f) {
  const c = f.properties;
  const side = (s) => (s ? said(sideName(s)) : "—");
  return [
    row(t("details.kind"), t(`conflict.kind.${c.kind}`)),
    row(t("details.severity"), t(`severity.${c.severity}`)),
    row(t("details.status"), t(`conflict.status.${c.status}`)),
    row(t("conflict.mine"), side(c.mine)),
    row(t("conflict.other"), side(c.other)),
    c.window ? row(t("details.window"), `${utcAndLocal(c.window.start)} → ${utcAndLocal(c.window.end)}`) : null,
    c.t_in ? row(t("conflict.loss"), utcAndLocal(c.t_in)) : null,
    c.cpa ? row(t("conflict.cpa"), utcAndLocal(c.cpa)) : null,
    c.reason ? row(t("conflict.reason"), t(`conflict.reason.${c.reason}`)) : null,
    c.distance_m !== undefined && c.distance_m !== null ? row(t("conflict.distance"), distance(c.distance_m)) : null,
    c.detail ? row(t("details.detail"), said(c.detail)) : null,
  ];
}

function trackRows(tr) {
  return [
    row(t("details.party"), said(partyName(tr.party))),
    row(t("details.domain"), t(`track.domain.${tr.domain}`)),
    row(t("details.position"), `${number(tr.lat, 4)}, ${number(tr.lon, 4)}`),
    tr.alt_m !== undefined ? row(t("details.height"), t("details.m_ft", { m: number(tr.alt_m), ft: number(Math.round(tr.alt_m / 0.3048)) })) : null,
    row(t("details.speed"), t("details.speed_value", { mps: number(tr.gs_mps, 1), kt: number(tr.gs_mps * 1.943844, 0) })),
    row(t("details.track"), `${number(tr.trk_deg)}°`),
    tr.stopped_since ? row(t("details.stopped_since"), utcAndLocal(tr.stopped_since)) : null,
    row(t("details.reported"), utcAndLocal(tr.time)),
  ];
}

function render() {
  const root = byId("details");
  if (!shown) {
    root.hidden = true;
    return;
  }
  const { type, id } = shown;
  const feature =
    type === "notice" ? state.notices.get(id) : type === "conflict" ? state.conflicts.get(id) : state.tracks.get(id);
  if (!feature) {
    root.hidden = true;
    return;
  }
  const title =
    type === "notice"
      ? feature.properties.title
      : type === "conflict"
        ? t(`conflict.kind.${feature.properties.kind}`)
        : feature.callsign || feature.uid;
  const rows = type === "notice" ? noticeRows(feature) : type === "conflict" ? conflictRows(feature) : trackRows(feature);
  const more = (extra.get(type) || []).flatMap((fn) => fn(feature) || []);
  fill(
    root,
    h("div", { class: "details-head" },
      h("h3", { id: "details-title" }, said(title)),
      h("button", { type: "button", class: "close", "aria-label": t("details.close"), onclick: close }, "×"),
    ),
    h("dl", {}, rows),
    more.length ? h("div", { class: "actions" }, more) : null,
  );
  root.hidden = false;
}

export function close() {
  shown = null;
  render();
}

/** Redraw the card for what changed on the line, unless the user is working in it (a menu
 * open, a button focused): then it waits for the next change. `{now: true}` after the user's
 * own action in it (an acknowledgement), which the card must show at once. */
export function refresh({ now = false } = {}) {
  if (!shown) return;
  if (!now && byId("details").contains(document.activeElement)) return;
  render();
}

export function details() {
  on("select", (chosen) => {
    shown = chosen;
    render();
  });
  for (const topic of ["notices", "conflicts", "time"]) on(topic, () => refresh());
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && shown) close();
  });
}
