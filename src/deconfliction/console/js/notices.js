// Notices: my party's own and those other parties share with mine, each with its kind, its
// protected mark, its title and its window. Choosing one centres the map on it and opens its
// details. My own can be edited (PUT with If-Match) or withdrawn (DELETE with If-Match), and
// show who has received and acknowledged which version; a notice shared with my party says
// whether we acknowledged its current version, counts down to the deadline the line set for it,
// and can be acknowledged here or on its details card. The form that declares or edits a notice
// is noticeform.js's.
import * as api from "./api.js";
import { byId, fill, h, said } from "./dom.js";
import { countdown, onChange, t, utc, utcAndLocal } from "./i18n.js";
import { focus } from "./map.js";
import { emit, mine, on, partyName, select, state } from "./store.js";
import { actions, refresh as refreshDetails } from "./details.js";
import { openForm, formOpen } from "./noticeform.js";

const receipts = new Map(); // notice id -> {version, body: ReceiptList} as last read
const loading = new Set();
const expanded = new Set(); // own notices whose receipts are shown
const confirming = new Set(); // own notices asking "withdraw?"
let list;
let newButton;

function writer() {
  return state.me !== null && state.me.role !== "observer";
}

function active(f) {
  return (f.properties.state ?? "active") === "active";
}

function span(n) {
  const starts = n.volumes.map((v) => Date.parse(v.time.start));
  const ends = n.volumes.map((v) => Date.parse(v.time.end));
  return { start: new Date(Math.min(...starts)), end: new Date(Math.max(...ends)) };
}

function windowText(n) {
  const { start, end } = span(n);
  return `${utc(start, { day: "always" })} → ${utc(end, { day: "always" })}`;
}

/** The receipts of a notice as last read, or null until they are read for its version. */
function known(f) {
  const got = receipts.get(f.id);
  return got && got.version === f.properties.version ? got.body : null;
}

// Receipts are read only for what is on screen (a row scrolled into view, the details card),
// two at a time, and the panel is redrawn once per burst of answers: a party that sees
// hundreds of notices does not send hundreds of requests at sign-in, nor redraw the list
// after each.
const PARALLEL = 2;
const queue = [];
let reading = 0;
let redrawDue = null;
let seen = null;

function want(f) {
  if (!f || known(f) || loading.has(f.id)) return;
  loading.add(f.id);
  queue.push(f);
  pump();
}

function pump() {
  while (reading < PARALLEL && queue.length) {
    const f = queue.shift();
    reading += 1;
    load(f).finally(() => {
      reading -= 1;
      pump();
    });
  }
}

async function load(f) {
  const version = f.properties.version;
  try {
    const body = await api.get(`/v1/notices/${encodeURIComponent(f.id)}/receipts`);
    receipts.set(f.id, { version, body });
  } catch (error) {
    receipts.set(f.id, { version, body: { notice: f.id, receipts: [], due: [], failed: error.message } });
  } finally {
    loading.delete(f.id);
  }
  redrawSoon();
}

function redrawSoon() {
  if (redrawDue) return;
  redrawDue = setTimeout(() => {
    redrawDue = null;
    render();
    refreshDetails();
  }, 150);
}

/** Watch the rows that need receipts not yet read; read them as they come into view. */
function watchRows() {
  if (!seen) {
    seen = new IntersectionObserver(
      (entries) => {
        for (const entry of entries) {
          if (!entry.isIntersecting) continue;
          seen.unobserve(entry.target);
          want(state.notices.get(entry.target.dataset.id));
        }
      },
      { rootMargin: "200px" },
    );
  }
  seen.disconnect();
  for (const row of list.querySelectorAll("li.notice[data-id]")) {
    const f = state.notices.get(row.dataset.id);
    if (f && !known(f) && (!mine(f.properties.party) || expanded.has(f.id))) seen.observe(row);
  }
}

/** My party's standing on another party's notice: acknowledged (the current version), and the
 * deadline the line set for it, if any. */
function standing(f) {
  const body = known(f);
  if (!body) return null;
  const me = state.me.party.slug;
  const version = f.properties.version;
  const acked = body.receipts.find((r) => r.party === me && r.version === version && r.acknowledged_at);
  const due = body.due.find((d) => d.version === version);
  return { acked, due: due && due.missing.includes(me) ? due : null };
}

async function acknowledge(f, button) {
  button.disabled = true;
  try {
    const { body } = await api.call(`/v1/notices/${encodeURIComponent(f.id)}/ack`, {
      method: "POST",
      body: { version: f.properties.version },
    });
    const got = receipts.get(f.id)?.body ?? { notice: f.id, receipts: [], due: [] };
    const others = got.receipts.filter((r) => !(r.party === body.party && r.version === body.version));
    receipts.set(f.id, { version: f.properties.version, body: { ...got, receipts: [...others, body] } });
    render();
    refreshDetails({ now: true });
  } catch (error) {
    button.disabled = false;
    emit("problem", error);
  }
}

function ackButton(f, cls = "ack") {
  return h(
    "button",
    { type: "button", class: cls, onclick: (e) => acknowledge(f, e.currentTarget) },
    t("receipts.acknowledge"),
  );
}

/** "Acknowledged v2" or "Not acknowledged", the deadline's countdown, and the button. */
function sharedControls(f) {
  const s = standing(f);
  if (!s) return h("div", { class: "notice-ack" }, h("span", { class: "muted" }, t("receipts.loading")));
  const version = f.properties.version;
  return h(
    "div",
    { class: "notice-ack" },
    s.acked
      ? h("span", { class: "acked" }, t("receipts.acknowledged", { version }))
      : h("span", { class: "not-acked" }, t("receipts.not_acknowledged", { version })),
    s.due && !s.acked
      ? h("span", { class: "ack-due" }, t("receipts.due"), " ",
          h("span", { class: "countdown ack-countdown", dataset: { due: s.due.due } }, countdown(s.due.due)))
      : null,
    !s.acked && writer() ? ackButton(f) : null,
  );
}

function receiptsTable(f) {
  const body = known(f);
  if (!body) return h("p", { class: "muted" }, t("receipts.loading"));
  if (body.failed) return h("p", { class: "error" }, body.failed);
  const parties = [...new Set(body.receipts.map((r) => r.party))].sort();
  const when = (at) => (at ? utcAndLocal(at) : "—");
  const rows = parties.flatMap((p) =>
    body.receipts
      .filter((r) => r.party === p)
      .sort((a, b) => b.version - a.version)
      .map((r) =>
        h("tr", {},
          h("th", { scope: "row" }, said(partyName(p))),
          h("td", {}, String(r.version)),
          h("td", {}, when(r.delivered_at)),
          h("td", {}, when(r.acknowledged_at), r.signed ? ` ${t("receipts.signed")}` : ""),
        ),
      ),
  );
  const dues = body.due.map((d) =>
    h("li", { class: "due" },
      t("receipts.deadline", { version: d.version }), " ", utcAndLocal(d.due, { day: "always" }), " — ",
      d.missing.length
        ? [t("receipts.missing"), " ", d.missing.map((p, i) => [i ? ", " : "", said(partyName(p))])]
        : t("receipts.none_missing"),
      d.escalated_at ? [" ", h("span", { class: "badge" }, t("receipts.escalated"))] : null,
    ),
  );
  return h("div", { class: "receipts" },
    rows.length
      ? h("table", { class: "receipts-table" },
          h("caption", { class: "visually-hidden" }, t("receipts.caption")),
          h("thead", {}, h("tr", {},
            h("th", { scope: "col" }, t("receipts.party")),
            h("th", { scope: "col" }, t("receipts.version")),
            h("th", { scope: "col" }, t("receipts.received")),
            h("th", { scope: "col" }, t("receipts.acknowledged_at")),
          )),
          h("tbody", {}, rows))
      : h("p", { class: "muted" }, t("receipts.none")),
    dues.length ? h("ul", { class: "dues" }, dues) : null,
  );
}

async function withdraw(f, button) {
  button.disabled = true;
  try {
    // the version the user saw and chose to withdraw: a newer one is refused (412), not withdrawn
    const seen = `"${f.properties.version}"`;
    await api.call(`/v1/notices/${encodeURIComponent(f.id)}`, { method: "DELETE", ifMatch: seen });
    confirming.delete(f.id);
    state.notices.delete(f.id);
    emit("notices");
  } catch (error) {
    button.disabled = false;
    emit("problem", error);
  }
}

function ownControls(f) {
  const id = f.id;
  const title = f.properties.title;
  if (confirming.has(id)) {
    return h("div", { class: "notice-actions confirm", role: "group", "aria-label": t("notices.withdraw_confirm", { title }) },
      h("span", {}, t("notices.withdraw_question"), " ", said(title || t("notices.untitled")), "?"),
      h("button", { type: "button", class: "danger", onclick: (e) => withdraw(f, e.currentTarget) }, t("notices.withdraw_yes")),
      h("button", { type: "button", onclick: () => { confirming.delete(id); render(); } }, t("notices.withdraw_no")),
    );
  }
  const open = expanded.has(id);
  return h("div", { class: "notice-actions" },
    writer() ? h("button", { type: "button", class: "edit", onclick: () => openForm(id) }, t("notices.edit")) : null,
    writer() ? h("button", { type: "button", class: "withdraw", onclick: () => { confirming.add(id); render(); } }, t("notices.withdraw")) : null,
    h("button", {
      type: "button", class: "show-receipts", "aria-expanded": open ? "true" : "false",
      onclick: () => { open ? expanded.delete(id) : expanded.add(id); render(); },
    }, t("receipts.show")),
    open ? receiptsTable(f) : null,
  );
}

function item(f) {
  const n = f.properties;
  const own = mine(n.party);
  const choose = () => {
    focus(f);
    select("notice", f.id);
  };
  return h(
    "li",
    { class: `notice${n.protected ? " protected" : ""}`, dataset: { id: f.id } },
    h("button", { type: "button", class: "notice-main", onclick: choose },
      h("span", { class: "notice-head" },
        h("strong", {}, t(`notice.kind.${n.kind}`)),
        n.protected ? h("span", { class: "badge protected" }, t("notice.protected")) : null,
        own ? null : [" · ", said(partyName(n.party))],
        " · ", t("notices.version", { version: n.version }),
      ),
      h("span", { class: "notice-title" }, said(n.title || t("notices.untitled"))),
      h("span", { class: "notice-window" }, windowText(n)),
    ),
    own ? ownControls(f) : sharedControls(f),
  );
}

function group(titleKey, features) {
  const id = `notices-${titleKey.split(".")[1]}`;
  return [
    h("h3", { id }, t(titleKey), " ", h("span", { class: "count" }, t("notices.count", { n: features.length }))),
    h("ul", { class: "notice-list", "aria-labelledby": id },
      features.length ? features.map(item) : h("li", { class: "empty" }, t("notices.none"))),
  ];
}

function render() {
  if (!list || !state.me) return;
  const shown = [...state.notices.values()].filter(active).sort((a, b) => span(a.properties).start - span(b.properties).start);
  const own = shown.filter((f) => mine(f.properties.party));
  const shared = shown.filter((f) => !mine(f.properties.party));
  // keep focus where it was across a re-render, by the notice and the control's class
  const had = document.activeElement;
  const where = list.contains(had) ? [had.closest("li.notice")?.dataset.id, had.className] : null;
  fill(list, group("notices.mine", own), group("notices.shared", shared));
  watchRows();
  if (where?.[0]) {
    const back = list.querySelector(`li.notice[data-id="${CSS.escape(where[0])}"] button.${CSS.escape(where[1].split(" ")[0] || "notice-main")}`);
    back?.focus();
  }
}

function tick() {
  for (const el of document.querySelectorAll(".ack-countdown")) el.textContent = countdown(el.dataset.due);
}

function onEvent(event) {
  if (!event) return;
  if (event.kind === "receipt.recorded" || event.kind === "escalation.raised") {
    const ids = new Set((event.receipts || []).map((r) => r.notice));
    if (event.escalation?.notice) ids.add(event.escalation.notice);
    if (!ids.size) receipts.clear();
    for (const id of ids) receipts.delete(id);
    render();
  }
}

/** What the details card offers for a notice: Edit for my own, Acknowledge for a shared one. */
function cardActions(f) {
  if (!state.me || !f?.properties) return [];
  if (mine(f.properties.party)) {
    return writer() ? [h("button", { type: "button", class: "edit", onclick: () => openForm(f.id) }, t("notices.edit"))] : [];
  }
  const s = standing(f);
  if (!s) {
    want(f); // the card is on screen: read its receipts now
    return [];
  }
  if (s.acked) return [h("span", { class: "acked" }, t("receipts.acknowledged", { version: f.properties.version }))];
  const out = [];
  if (s.due) out.push(h("span", { class: "ack-due" }, t("receipts.due"), " ", h("span", { class: "countdown ack-countdown", dataset: { due: s.due.due } }, countdown(s.due.due))));
  if (writer()) out.push(ackButton(f, "ack card-ack"));
  return out;
}

export function noticesPanel() {
  const root = byId("notices");
  const head = root.querySelector("h2");
  newButton = h("button", { type: "button", class: "new-notice", onclick: () => openForm(null) }, t("notices.new"));
  newButton.hidden = !writer();
  list = h("div", { class: "notice-groups" });
  const formBox = h("div", { id: "notice-form-box", class: "notice-form-box", hidden: true });
  fill(root, head, newButton, list, formBox);
  on("notices", () => {
    if (!formOpen()) render();
  });
  on("events", onEvent);
  on("form", (open) => {
    list.hidden = open;
    newButton.hidden = open || !writer();
    if (!open) render();
  });
  onChange(() => {
    newButton.textContent = t("notices.new");
    render();
  });
  actions("notice", cardActions);
  setInterval(tick, 1000);
  render();
}
