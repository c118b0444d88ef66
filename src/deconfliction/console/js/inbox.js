// The inbox: the latest events, newest first, each one readable line (sayings.js); a click
// selects what the line is about — a notice or conflict on the map, a thread in Threads.
// What must not be missed — a request to my party awaiting my answer, an escalation, a party
// suspected of probing my notices — also puts
// a toast in #alerts (role=alert) that stays until dismissed or answered, and counts on the
// Inbox heading. Only events that arrive live alert, never history loaded at sign-in (Threads
// lists what still awaits an answer), and never my own party's doing.
import { byId, fill, h, keepingFocus } from "./dom.js";
import { onChange, t } from "./i18n.js";
import { focus } from "./map.js";
import { mine, on, select, state } from "./store.js";
import { about, awaitsMe, line, sentence } from "./sayings.js";
import { findMessage } from "./threads.js";

const SHOWN = 100; // lines in the list
const ALARMS = new Set(["escalation.raised", "probing.suspected"]); // a toast, whoever caused it
const toasts = new Map(); // key (request message id, or "seq:N") -> {el, request}
let list;
let badge;

function choose(event) {
  const it = about(event);
  if (!it) return;
  if (it.type === "notice" || it.type === "conflict") {
    focus((it.type === "notice" ? state.notices : state.conflicts).get(it.id));
  }
  select(it.type, it.id);
}

function item(event) {
  const urgent = ALARMS.has(event.kind) || awaitsMe(event.message);
  return h("li", { class: `event kind-${event.kind.replace(".", "-")}${urgent ? " urgent" : ""}`, dataset: { seq: event.seq } },
    h("button", { type: "button", class: "event-line", onclick: () => choose(event) }, line(event)));
}

function render() {
  const newest = state.events.slice(-SHOWN).reverse();
  keepingFocus(list, () => fill(list, newest.length ? newest.map(item) : h("li", { class: "empty" }, t("inbox.none"))));
}

function counted() {
  const n = toasts.size;
  badge.hidden = n === 0;
  fill(badge, String(n), h("span", { class: "visually-hidden" }, ` ${t("inbox.badge", { n })}`));
}

// -- toasts ----------------------------------------------------------------------------------

function dismiss(key) {
  toasts.get(key)?.el.remove();
  toasts.delete(key);
  counted();
}

function toast(key, event, request) {
  if (toasts.has(key)) return;
  const it = about(event);
  const open = () => {
    if (it) select(it.type, it.id);
  };
  const el = h("div", { class: "urgent", dataset: { key } },
    h("p", { class: "urgent-title" }, h("strong", {}, t(request ? "inbox.alert.request" : event.kind === "probing.suspected" ? "inbox.alert.probing" : "inbox.alert.escalation"))),
    h("p", {}, sentence(event)),
    h("div", { class: "actions" },
      it ? h("button", { type: "button", class: "open", onclick: open }, t("inbox.open_thread")) : null,
      h("button", { type: "button", class: "dismiss", onclick: () => dismiss(key) }, t("inbox.dismiss"))));
  byId("alerts").append(el);
  toasts.set(key, { el, request });
  counted();
}

/** A live event that must not be missed gets a toast. */
function alertOn(event) {
  const m = event.message;
  if (event.kind === "message.sent" && awaitsMe(m)) return toast(m.id, event, m.id);
  if (ALARMS.has(event.kind)) return toast(`seq:${event.seq}`, event, null);
  if (event.kind === "message.sent" && m?.in_reply_to && toasts.has(m.in_reply_to) && mine(m.party)) {
    dismiss(m.in_reply_to); // answered here or by another member of my party
  }
}

/** A request answered (or expired) takes its toast away. */
function settle() {
  for (const [key, { request }] of toasts) {
    const m = request && findMessage(request);
    if (m && !awaitsMe(m)) dismiss(key);
  }
}

export function inboxPanel() {
  const root = byId("inbox");
  const head = root.querySelector("h2");
  badge = h("span", { class: "alert-count", hidden: true });
  delete head.dataset.i18n; // the title moves into a span, so relabelling keeps the badge
  fill(head, h("span", { "data-i18n": "inbox.title" }, t("inbox.title")), " ", badge);
  list = h("ul", { class: "event-list", "aria-labelledby": "inbox-title" });
  fill(root, head, list);
  render();
  on("events", (event) => {
    if (event) alertOn(event);
    render();
  });
  on("messages", settle);
  for (const topic of ["notices", "threads"]) on(topic, render); // titles and subjects arrive
  onChange(() => {
    render();
    counted();
  });
}
