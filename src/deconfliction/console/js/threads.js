// Threads: the conversation between parties. At the top, the requests to my party that still
// await my answer (they must not be missed); then the threads (subject, parties, last activity)
// and, once one is opened, its messages — requests with their kind, area, window, deadline
// countdown, state and receipts; replies; notes — with the answers the line lets my party give
// (Accept, Decline with a reason, Counter with another area or window, Withdraw an agreement) and
// forms for a new request, a note and a new thread. Shapes are the API's own (POST
// /v1/threads/{id}/messages); an error is shown beside the field its pointer names.
import * as api from "./api.js";
import { byId, fill, h, said } from "./dom.js";
import * as draw from "./draw.js";
import { countdown, onChange, t, utc, utcAndLocal } from "./i18n.js";
import { emit, mine, on, partyName, state } from "./store.js";
import { awaitsMe, sentence, span, who, words } from "./sayings.js";
import * as requests from "./requests.js";

const KINDS = ["vacate", "keep-clear", "hold", "confirm"];
const cache = new Map(); // thread id -> its messages, oldest first
const receipts = new Map(); // message id -> Map(party -> receipt)
const due = new Map(); // thread id -> timer of a pending reload
let root;
let openId = null;
let badge;

// -- the messages, as the line holds them ----------------------------------------------------

/** Every message of every thread this member may see. */
export function allMessages() {
  return [...cache.values()].flat();
}

export function findMessage(id) {
  return allMessages().find((m) => m.id === id) || null;
}

/** Requests to my party awaiting my answer, the soonest deadline first. */
export function awaiting() {
  return allMessages().filter(awaitsMe).sort((a, b) => Date.parse(a.deadline) - Date.parse(b.deadline));
}

async function loadMessages(id) {
  const messages = await api.all(`/v1/threads/${id}/messages`, "messages");
  cache.set(id, messages);
}

async function loadAll() {
  await Promise.all([...state.threads.keys()].map((id) => loadMessages(id).catch(() => {})));
  changed();
}

function reloadSoon(id) {
  clearTimeout(due.get(id));
  due.set(id, setTimeout(() => loadMessages(id).then(changed).catch((e) => emit("problem", e)), 100));
}

function changed() {
  requests.update(allMessages());
  emit("messages");
  render();
}

function heard(event) {
  if (!event) return loadAll(); // the first full load
  const m = event.message;
  if (event.thread) cache.set(event.thread.id, cache.get(event.thread.id) || []);
  if (m) {
    const thread = state.threads.get(m.thread);
    if (thread) thread.updated_at = m.created_at;
    const list = cache.get(m.thread) || [];
    if (!list.some((x) => x.id === m.id)) list.push(m); // shown at once; the reload brings states
    cache.set(m.thread, list);
    reloadSoon(m.thread);
  }
  changed();
}

function noted(event) {
  if (!event) return;
  for (const r of event.receipts || []) {
    if (!r.message) continue;
    if (!receipts.has(r.message)) receipts.set(r.message, new Map());
    receipts.get(r.message).set(r.party, r);
  }
  if (event.escalation?.thread) reloadSoon(event.escalation.thread);
  if (event.kind === "receipt.recorded" && openId) render();
}

// -- sending ---------------------------------------------------------------------------------

/** Show an API error beside the field its pointer names (the longest matching prefix). */
function problemAt(form, error) {
  for (const el of form.querySelectorAll(".field-error")) el.textContent = "";
  for (const el of form.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
  const found = [{ pointer: error.pointer, message: error.message }, ...(error.errors || [])];
  for (const { pointer, message } of found) {
    const fields = [...form.querySelectorAll("[data-pointer]")].filter((el) => pointer && pointer.startsWith(el.dataset.pointer));
    fields.sort((a, b) => b.dataset.pointer.length - a.dataset.pointer.length);
    const field = fields[0];
    const where = field ? form.querySelector(`#${field.id}-error`) : form.querySelector(".form-error");
    if (where && !where.textContent) where.textContent = pointer && !field ? `${message} (${pointer})` : message;
    field?.setAttribute("aria-invalid", "true");
  }
}

async function send(form, thread, body) {
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  try {
    await api.call(`/v1/threads/${thread}/messages`, { method: "POST", body });
    draw.clear();
    await loadMessages(thread);
    changed();
    return true;
  } catch (error) {
    if (!error.status) throw error;
    problemAt(form, error);
    return false;
  } finally {
    button.disabled = false;
  }
}

// -- form fields -----------------------------------------------------------------------------

let fieldNo = 0;

function field(labelKey, control, pointer) {
  const id = control.id || `f${++fieldNo}`;
  control.id = id;
  if (pointer) control.dataset.pointer = pointer;
  control.setAttribute("aria-describedby", `${id}-error`);
  return h("div", { class: "field" },
    h("label", { for: id }, t(labelKey)),
    control,
    h("p", { id: `${id}-error`, class: "field-error", "aria-live": "polite" }),
  );
}

const isoMinute = (d) => d.toISOString().slice(0, 16);

/** A UTC instant: a datetime-local input read as UTC, with the reader's own time beside it. */
function timeField(labelKey, pointer, initial) {
  const input = h("input", { type: "datetime-local", step: 60, value: isoMinute(initial), required: true });
  const local = h("output", { class: "local-time" });
  const show = () => {
    local.textContent = input.value ? utcAndLocal(new Date(`${input.value}Z`), { day: "always" }) : "";
  };
  input.addEventListener("input", show);
  show();
  const el = field(labelKey, input, pointer);
  el.append(local);
  return { el, value: () => (input.value ? new Date(`${input.value}Z`).toISOString() : null) };
}

/** "Draw area" and what was drawn: `value()` is the volume shape, or null. */
function areaField(pointer) {
  let shape = null;
  const kind = h("select", {}, draw.SHAPES.map((s) => h("option", { value: s }, t(`request.shape.${s}`))));
  const status = h("span", { class: "area-status" }, t("request.no_area"));
  const button = h("button", { type: "button", class: "draw" }, t("request.draw"));
  button.dataset.pointer = pointer;
  button.addEventListener("click", async () => {
    draw.clear();
    status.textContent = t("request.drawing");
    const drawn = await draw.drawArea(kind.value, { colour: "#c8102e" });
    shape = drawn?.shape ?? null;
    status.textContent = t(shape ? "request.area_drawn" : "request.no_area");
  });
  const el = h("div", { class: "field area" }, field("request.shape_label", kind), button, " ", status);
  button.id = `f${++fieldNo}`;
  button.setAttribute("aria-describedby", `${button.id}-error`);
  el.append(h("p", { id: `${button.id}-error`, class: "field-error", "aria-live": "polite" }));
  return { el, value: () => shape };
}

function textField(labelKey, pointer, required = false) {
  const area = h("textarea", { rows: 2, maxlength: 4000, required });
  return { el: field(labelKey, area, pointer), value: () => area.value };
}

function formOf(className, legendKey, fields, submitKey, onsubmit) {
  const form = h("form", { class: `thread-form ${className}`, novalidate: true },
    h("fieldset", {}, h("legend", {}, t(legendKey)), fields.map((f) => f.el || f)),
    h("p", { class: "form-error field-error", "aria-live": "polite" }),
    h("div", { class: "form-actions" },
      h("button", { type: "submit" }, t(submitKey)),
      h("button", { type: "button", onclick: () => { draw.clear(); form.remove(); render(); } }, t("threads.cancel")),
    ),
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    if (await onsubmit(form)) {
      form.remove();
      render();
    }
  });
  return form;
}

const minutesFromNow = (n) => new Date(Math.ceil(Date.now() / 60000) * 60000 + n * 60000);

function windowFields() {
  return [timeField("request.start", "/volume/time/start", minutesFromNow(15)), timeField("request.end", "/volume/time/end", minutesFromNow(75))];
}

function requestForm(thread) {
  const to = h("select", { required: true },
    thread.parties.filter((p) => !mine(p)).map((p) => h("option", { value: p }, partyName(p))));
  const kind = h("select", {}, KINDS.map((k) => h("option", { value: k }, t(`request.kind.${k}`))));
  const text = textField("request.text", "/text");
  const area = areaField("/volume");
  const [start, end] = windowFields();
  const deadline = timeField("request.deadline", "/deadline", minutesFromNow(30));
  const fields = [field("request.to", to, "/to"), field("request.kind_label", kind, "/request"), text, area, start, end, deadline];
  return formOf("request-form", "request.new", fields, "request.send", (form) => {
    const body = { kind: "request", request: kind.value, to: to.value, text: text.value(), deadline: deadline.value() };
    const shape = area.value();
    if (shape) body.volume = { ...shape, time: { start: start.value(), end: end.value() } };
    return send(form, thread.id, body);
  });
}

function declineForm(m) {
  const reason = textField("reply.reason", "/reason", true);
  return formOf("decline-form", "reply.decline_title", [reason], "reply.decline", (form) =>
    send(form, m.thread, { kind: "reply", reply: "decline", in_reply_to: m.id, reason: reason.value() }));
}

function counterForm(m) {
  const area = areaField("/volume");
  const [start, end] = windowFields();
  start.el.querySelector("input").dataset.pointer = "/window/start";
  end.el.querySelector("input").dataset.pointer = "/window/end";
  const text = textField("reply.text", "/text");
  return formOf("counter-form", "reply.counter_title", [area, start, end, text], "reply.counter", (form) => {
    const window = { start: start.value(), end: end.value() };
    const shape = area.value();
    const body = { kind: "reply", reply: "counter", in_reply_to: m.id, text: text.value() };
    if (shape) body.volume = { ...shape, time: window };
    else body.window = window;
    return send(form, m.thread, body);
  });
}

function noteForm(thread) {
  const text = textField("threads.note_text", "/text", true);
  return formOf("note-form", "threads.note", [text], "threads.send", (form) => send(form, thread.id, { kind: "note", text: text.value() }));
}

function threadForm() {
  const subject = h("input", { type: "text", maxlength: 200, required: true });
  const boxes = state.parties.filter((p) => !mine(p.slug)).map((p) =>
    h("label", { class: "check" }, h("input", { type: "checkbox", value: p.slug }), " ", said(p.name)));
  const parties = h("fieldset", { class: "parties", id: `f${++fieldNo}`, dataset: { pointer: "/parties" } },
    h("legend", {}, t("threads.with")), boxes, h("p", { id: `f${fieldNo}-error`, class: "field-error" }));
  return formOf("thread-form-new", "threads.new", [parties, field("threads.subject", subject, "/subject")], "threads.open", async (form) => {
    const chosen = [...parties.querySelectorAll("input:checked")].map((el) => el.value);
    try {
      const { body } = await api.call("/v1/threads", { method: "POST", body: { parties: chosen, subject: subject.value } });
      state.threads.set(body.id, body);
      cache.set(body.id, []);
      openId = body.id;
      changed();
      return true;
    } catch (error) {
      if (!error.status) throw error;
      problemAt(form, error);
      return false;
    }
  });
}

/** Put a form under `anchor` (one at a time there), and move the focus into it. */
function reveal(anchor, form) {
  anchor.querySelector(":scope > form")?.remove();
  anchor.append(form);
  form.querySelector("input, select, textarea, button")?.focus();
}

// -- one message -----------------------------------------------------------------------------

function reply(m, body, button) {
  button.disabled = true;
  api.call(`/v1/threads/${m.thread}/messages`, { method: "POST", body })
    .then(() => loadMessages(m.thread))
    .then(changed)
    .catch((error) => {
      button.disabled = false;
      emit("problem", error);
    });
}

function answers(m, holder) {
  const out = [];
  const button = (key, fn, cls = "") => h("button", { type: "button", class: cls, onclick: (e) => fn(e.currentTarget) }, t(key));
  if (awaitsMe(m) && state.me.role !== "observer") {
    out.push(button("reply.accept", (b) => reply(m, { kind: "reply", reply: "accept", in_reply_to: m.id }, b), "accept"));
    out.push(button("reply.decline", () => reveal(holder, declineForm(m))));
    out.push(button("reply.counter", () => reveal(holder, counterForm(m))));
  }
  const request = m.reply === "counter" ? findMessage(m.in_reply_to) : null;
  if (request && mine(request.party) && m.state === "open") {
    out.push(button("reply.accept_counter", (b) => reply(m, { kind: "reply", reply: "accept", in_reply_to: m.id }, b), "accept"));
  }
  if (m.commitment === "in force" && (mine(m.party) || mine(m.to))) {
    out.push(button("reply.withdraw", (b) => reply(m, { kind: "withdraw", in_reply_to: m.id }, b)));
  }
  if (m.volume) out.push(button("threads.show_area", () => requests.show(m)));
  return out;
}

function receiptLine(m) {
  const got = receipts.get(m.id);
  if (!mine(m.party) || !got || !got.size) return null;
  const bits = [...got.values()].map((r) =>
    r.acknowledged_at
      ? [t("threads.acknowledged_by", { time: utc(r.acknowledged_at) }), " ", who(r.party)]
      : [t("threads.received_by", { time: utc(r.delivered_at) }), " ", who(r.party)]);
  return h("p", { class: "receipts" }, bits.map((b, i) => [i ? "; " : "", b]));
}

function facts(m) {
  const rows = [];
  if (m.volume) rows.push(t("threads.area_window", { window: span(m.volume.time.start, m.volume.time.end) }));
  if (m.window) rows.push(t("threads.window", { window: span(m.window.start, m.window.end) }));
  return rows.map((r) => h("p", { class: "fact" }, r));
}

const LABEL = /^[a-z0-9-]+#[0-9a-hjkmnp-tv-z]{6}$/;

/** Who wrote it, within its party: this member ("by you"); another party's member by the label
 * the line gives it on this thread ("by red#4kq7m2"), which tells that party's writers apart and
 * names no one; a colleague's not at all (the sentence names the party). */
function writer(m) {
  if (state.me && m.member === state.me.member) return h("span", { class: "writer" }, t("threads.sent_by_you"));
  if (!mine(m.party) && LABEL.test(m.member || "")) {
    return h("span", { class: "writer" }, words("threads.sent_by", { who: said(m.member) }));
  }
  return null;
}

function messageItem(m) {
  const holder = h("div", { class: "answer" });
  const deadline = m.deadline && m.state === "open"
    ? h("p", { class: "deadline" }, t("threads.answer_by", { time: utc(m.deadline) }), " ",
      h("span", { class: "countdown", dataset: { due: m.deadline } }, countdown(m.deadline)))
    : null;
  const stateBadge = m.state ? h("span", { class: `badge state-${m.state}` }, t(`threads.state.${m.state}`)) : null;
  const withdrawn = m.commitment === "withdrawn" ? h("span", { class: "badge" }, t("threads.withdrawn")) : null;
  return h("li", { class: `message kind-${m.kind}${mine(m.party) ? " own" : ""}${awaitsMe(m) ? " awaits" : ""}`, dataset: { id: m.id } },
    h("p", { class: "message-head" }, h("time", { datetime: m.created_at }, utc(m.created_at)), " ", writer(m), " ", stateBadge, withdrawn),
    h("p", { class: "message-text" }, sentence({ message: m })),
    facts(m),
    deadline,
    receiptLine(m),
    h("div", { class: "actions" }, answers(m, holder)),
    holder,
  );
}

// -- the panel -------------------------------------------------------------------------------

/** Open a thread (from the inbox, the map, or the list). */
export function openThread(id) {
  openId = id;
  render();
  byId("threads").scrollIntoView({ block: "start" });
  byId("threads").querySelector(".thread-view h3")?.focus();
  if (!cache.has(id)) reloadSoon(id);
  for (const m of cache.get(id) || []) {
    if (mine(m.party) && m.kind === "request") {
      api.get(`/v1/threads/${id}/messages/${m.id}/receipts`).then((body) => {
        noted({ kind: "receipt.recorded", receipts: body.receipts });
      }).catch(() => {});
    }
  }
}

function awaitingList() {
  const waiting = awaiting();
  if (!waiting.length) return null;
  return h("div", { class: "awaiting", role: "region", "aria-labelledby": "threads-awaiting" },
    h("h3", { id: "threads-awaiting" }, t("threads.awaiting", { n: waiting.length })),
    h("ul", {}, waiting.map((m) => h("li", {},
      h("button", { type: "button", class: "awaiting-item", onclick: () => openThread(m.thread) },
        sentence({ message: m }), " ",
        h("span", { class: "countdown", dataset: { due: m.deadline } }, countdown(m.deadline)))))));
}

function threadItem(th) {
  const others = th.parties.filter((p) => !mine(p));
  const open = (cache.get(th.id) || []).filter(awaitsMe).length;
  return h("li", { class: `thread${open ? " awaits" : ""}`, dataset: { id: th.id } },
    h("button", { type: "button", class: "thread-main", onclick: () => openThread(th.id) },
      h("span", { class: "subject" }, said(th.subject)),
      h("span", { class: "parties" }, others.map((p, i) => [i ? ", " : "", said(partyName(p))])),
      h("span", { class: "last" }, t("threads.last", { time: utc(th.updated_at) }))));
}

function listView() {
  const holder = h("div", { class: "new-thread" });
  const threads = [...state.threads.values()].sort((a, b) => Date.parse(b.updated_at) - Date.parse(a.updated_at));
  const writer = state.me?.role !== "observer";
  return h("div", { class: "thread-list-view" },
    writer ? h("button", { type: "button", onclick: () => reveal(holder, threadForm()) }, t("threads.new")) : null,
    holder,
    h("ul", { class: "thread-list" }, threads.length ? threads.map(threadItem) : h("li", { class: "empty" }, t("threads.none"))));
}

function threadView(th) {
  const messages = cache.get(th.id) || [];
  const holder = h("div", { class: "compose" });
  const writer = state.me?.role !== "observer";
  return h("div", { class: "thread-view" },
    h("button", { type: "button", class: "back", onclick: () => { openId = null; draw.clear(); render(); } }, t("threads.back")),
    h("h3", { tabindex: -1 }, said(th.subject)),
    h("p", { class: "parties" }, t("threads.between"), " ", th.parties.map((p, i) => [i ? ", " : "", said(partyName(p))])),
    h("ol", { class: "messages" }, messages.length ? messages.map(messageItem) : h("li", { class: "empty" }, t("threads.no_messages"))),
    writer ? h("div", { class: "actions" },
      h("button", { type: "button", onclick: () => reveal(holder, requestForm(th)) }, t("request.new")),
      h("button", { type: "button", onclick: () => reveal(holder, noteForm(th)) }, t("threads.note"))) : null,
    holder);
}

function render() {
  if (!root) return;
  const waiting = awaiting().length;
  badge.hidden = waiting === 0;
  fill(badge, String(waiting), h("span", { class: "visually-hidden" }, ` ${t("threads.badge", { n: waiting })}`));
  if (root.querySelector("form")) {
    // a form being filled in stays as it is: only the lists around it are redrawn
    const list = root.querySelector(".awaiting");
    const fresh = awaitingList();
    if (list && fresh) list.replaceWith(fresh);
    return;
  }
  const th = openId ? state.threads.get(openId) : null;
  fill(byId("threads-body"), awaitingList(), th ? threadView(th) : listView());
}

function tick() {
  for (const el of root.querySelectorAll(".countdown")) el.textContent = countdown(el.dataset.due);
}

export function threadsPanel() {
  root = byId("threads");
  const head = root.querySelector("h2");
  badge = h("span", { class: "alert-count", hidden: true });
  delete head.dataset.i18n; // the title moves into a span, so relabelling keeps the badge
  fill(head, h("span", { "data-i18n": "threads.title" }, t("threads.title")), " ", badge);
  fill(root, head, h("div", { id: "threads-body" }));
  requests.requestsLayer();
  on("threads", heard);
  on("events", noted);
  on("select", (chosen) => chosen.type === "thread" && openThread(chosen.id));
  onChange(() => render());
  setInterval(tick, 1000);
  render();
}
