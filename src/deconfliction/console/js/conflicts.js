// Conflicts: the most urgent first (severity, then how soon separation is lost or the overlap
// begins), each with a live countdown, filters by kind and severity, and "Acknowledge" where
// the line lets this member acknowledge (POST /v1/conflicts/{id}/ack). Choosing one centres the
// map on it and opens its details.
import * as api from "./api.js";
import { byId, fill, h, keepingFocus, said } from "./dom.js";
import { countdown, onChange, t } from "./i18n.js";
import { focus } from "./map.js";
import { emit, on, pictureTime, select, state } from "./store.js";
import { sideName } from "./details.js";

const RANK = { warning: 0, caution: 1, advisory: 2 };
const KINDS = ["strategic", "tactical", "intrusion", "deviation"];
const filters = { kind: "", severity: "" };
let list;
let count;

/** When it bites: loss of separation, the start of the overlap, or when it was seen. */
export function due(c) {
  return c.t_in || c.window?.start || c.cpa || c.detected_at;
}

export function ordered() {
  return [...state.conflicts.values()]
    .map((f) => f.properties)
    .filter((c) => (!filters.kind || c.kind === filters.kind) && (!filters.severity || c.severity === filters.severity))
    .sort((a, b) => (RANK[a.severity] ?? 3) - (RANK[b.severity] ?? 3) || Date.parse(due(a)) - Date.parse(due(b)));
}

function canAcknowledge(c) {
  if (!state.me || state.me.role === "observer" || c.status !== "open") return false;
  // a deviation is the moving party's own to answer; its audience is only told
  return !(c.kind === "deviation" && c.mine?.party !== state.me.party.slug);
}

export async function acknowledge(id, button) {
  button.disabled = true;
  try {
    await api.call(`/v1/conflicts/${id}/ack`, { method: "POST" });
    const feature = state.conflicts.get(id);
    if (feature) feature.properties.status = "acknowledged";
    emit("conflicts");
  } catch (error) {
    button.disabled = false;
    emit("problem", error);
  }
}

function item(c) {
  const when = due(c);
  const choose = () => {
    const now = pictureTime().getTime();
    if (c.window && !(Date.parse(c.window.start) <= now && now < Date.parse(c.window.end))) {
      emit("goto", new Date(Date.parse(c.window.start)));
    }
    focus(state.conflicts.get(c.id));
    select("conflict", c.id);
  };
  const ack = canAcknowledge(c)
    ? h("button", { type: "button", class: "ack", onclick: (e) => acknowledge(c.id, e.currentTarget) }, t("conflict.acknowledge"))
    : null;
  return h(
    "li",
    { class: `conflict severity-${c.severity} status-${c.status}`, dataset: { id: c.id } },
    h("span", { class: "severity-mark", "aria-hidden": "true" }),
    h(
      "button",
      { type: "button", class: "conflict-main", onclick: choose },
      h("span", { class: "conflict-head" },
        h("strong", {}, t(`severity.${c.severity}`)), " · ", t(`conflict.kind.${c.kind}`),
        c.status === "acknowledged" ? h("span", { class: "badge" }, t("conflict.status.acknowledged")) : null,
      ),
      h("span", { class: "conflict-sides" }, said(c.mine ? sideName(c.mine) : "—"), " ⇄ ", said(c.other ? sideName(c.other) : "—")),
      h("span", { class: "countdown", dataset: { due: when } }, countdown(when)),
    ),
    ack,
  );
}

function render() {
  const shown = ordered();
  count.textContent = t("conflicts.count", { n: shown.length });
  keepingFocus(list, () => fill(list, shown.length ? shown.map(item) : h("li", { class: "empty" }, t("conflicts.none"))));
}

function tick() {
  for (const el of list.querySelectorAll(".countdown")) el.textContent = countdown(el.dataset.due);
}

function select_(name, values) {
  const el = h(
    "select",
    { id: `conflicts-${name}`, onchange: (e) => { filters[name] = e.target.value; render(); } },
    h("option", { value: "" }, t(`conflicts.all_${name}`)),
    values.map((v) => h("option", { value: v }, t(`${name === "kind" ? "conflict.kind" : "severity"}.${v}`))),
  );
  el.value = filters[name];
  return [h("label", { for: `conflicts-${name}`, class: "visually-hidden" }, t(`conflicts.filter_${name}`)), el];
}

export function conflictsPanel() {
  const root = byId("conflicts");
  const head = root.querySelector("h2");
  count = h("span", { class: "count" });
  list = h("ul", { class: "conflict-list", "aria-labelledby": "conflicts-title" });
  const controls = h("div", { class: "filters" });
  const build = () => {
    fill(controls, select_("kind", KINDS), select_("severity", ["warning", "caution", "advisory"]));
    render();
  };
  fill(root, head, count, controls, list);
  build();
  on("conflicts", render);
  on("notices", render);
  // a track's callsign names its side once the tracks are read; after that, the list is
  // redrawn by conflict events and its countdowns tick by themselves
  let named = false;
  on("tracks", () => {
    if (!named && state.tracks.size) {
      named = true;
      render();
    }
  });
  onChange(build);
  setInterval(tick, 1000);
}
