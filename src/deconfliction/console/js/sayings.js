// Events in words: one readable line per event — who did what, to which notice, conflict or
// request, how urgent and when — in the chosen language. It follows the CLI's event lines
// (cli/sayings.py): a field the event does not carry (a redacted side, a missing title) is left
// out of the sentence, and times are absolute (UTC), never "5 min ago", so a line read later
// still says when. Every string another party wrote is a <bdi> text node (`said`), never markup;
// a catalogue sentence is split at its {placeholders} so those nodes can sit inside it.
import { h, said } from "./dom.js";
import { t, utc } from "./i18n.js";
import { mine, partyName, state } from "./store.js";

/** A catalogue sentence with nodes in its placeholders: `words("say.x", {who: said(n)})`. */
export function words(key, vars = {}) {
  const plain = {};
  for (const [name, value] of Object.entries(vars)) {
    if (!(value instanceof Node) && !Array.isArray(value)) plain[name] = value;
  }
  const text = t(key, plain);
  return text.split(/\{(\w+)\}/).map((bit, i) => (i % 2 === 0 ? bit : vars[bit] ?? ""));
}

/** A party by name, as another party's text; "you" (the catalogue's word) for my own. */
export function who(slug, { you = false } = {}) {
  if (you && mine(slug)) return h("span", {}, t("say.you"));
  return said(partyName(slug));
}

function parties(slugs) {
  const out = [];
  (slugs || []).forEach((slug, i) => {
    if (i > 0) out.push(", ");
    out.push(who(slug));
  });
  return h("span", {}, out);
}

/** "10:00Z–16:00Z", the span of a window (with the day when it is not today; the end's day
 * only when it is not the start's). */
export function span(start, end) {
  const sameDay = String(new Date(start).toISOString()).slice(0, 10) === new Date(end).toISOString().slice(0, 10);
  return t("say.span", { start: utc(start), end: utc(end, sameDay ? { day: "never" } : {}) });
}

function volumesSpan(volumes) {
  const times = (volumes || []).map((v) => v.time).filter(Boolean);
  if (!times.length) return "";
  const start = times.map((x) => x.start).sort()[0];
  const end = times.map((x) => x.end).sort().at(-1);
  return span(start, end);
}

function quoted(text) {
  return text ? words("say.quote", { text: said(text) }) : [];
}

// -- notices ---------------------------------------------------------------------------------

function notice(event, n) {
  const verb = event.kind.split(".")[1] || "created";
  const kind = t(`notice.kind.${n.kind}`) + (n.protected ? ` (${t("notice.protected")})` : "");
  const title = n.title ? said(n.title) : h("span", {}, t("say.untitled"));
  return words(`say.notice.${verb}`, {
    who: who(n.party || event.party),
    kind,
    title,
    version: n.version ?? "",
    window: volumesSpan(n.volumes),
  });
}

// -- conflicts -------------------------------------------------------------------------------

function side(s) {
  if (!s) return null;
  const track = s.track ? state.tracks.get(`${s.party}/${s.track}`) : null;
  const note = s.notice ? state.notices.get(s.notice)?.properties : null;
  const what = track ? track.callsign || track.uid : s.track || note?.title;
  if (what) return said(what);
  return words("say.conflict.hidden_side", { who: who(s.party) });
}

function conflictWhen(c) {
  if (c.window) return span(c.window.start, c.window.end);
  if (c.t_in && c.kind === "tactical") return t("say.conflict.loss", { time: utc(c.t_in) });
  if (c.t_in) return t("say.conflict.since", { time: utc(c.t_in) });
  return "";
}

function conflict(event, c) {
  const verb = event.kind === "conflict.closed" ? `closed_${c.status === "expired" ? "expired" : "resolved"}` : event.kind.split(".")[1];
  const sides = [side(c.mine), side(c.other)].filter(Boolean);
  const between = sides.length === 2 ? [sides[0], " ⇄ ", sides[1]] : sides;
  const bits = [t(`conflict.kind.${c.kind}`)];
  const out = [t(`say.conflict.${verb}`), " ", bits[0]];
  if (between.length) out.push(", ", ...between);
  out.push(", ", t(`severity.${c.severity}`).toLowerCase());
  const when = conflictWhen(c);
  if (when) out.push(", ", when);
  return out;
}

// -- threads and messages --------------------------------------------------------------------

function thread(th) {
  const others = (th.parties || []).filter((p) => p !== th.party);
  return words(others.length ? "say.thread.opened_with" : "say.thread.opened", {
    who: who(th.party),
    subject: said(th.subject),
    others: parties(others),
  });
}

function request(m) {
  const out = words(`say.request.${m.request}`, { who: who(m.party), to: who(m.to, { you: true }) });
  if (m.volume?.time) out.push(" ", t("say.request.during", { window: span(m.volume.time.start, m.volume.time.end) }));
  out.push(", ", t("say.request.answer_by", { deadline: utc(m.deadline) }));
  return [...out, ...quoted(m.text)];
}

function reply(m) {
  const window = m.window ? span(m.window.start, m.window.end) : m.volume?.time ? span(m.volume.time.start, m.volume.time.end) : "";
  return [
    ...words(`say.reply.${m.reply}`, { who: who(m.party), reason: m.reason ? said(m.reason) : "", window }),
    ...quoted(m.text),
  ];
}

function message(m) {
  if (m.kind === "request") return request(m);
  if (m.kind === "reply") return reply(m);
  if (m.kind === "withdraw") return [...words("say.withdraw", { who: who(m.party) }), ...quoted(m.text)];
  return words("say.note", { who: who(m.party), text: said(m.text) });
}

// -- receipts, escalations, keys -------------------------------------------------------------

function receiptsOf(rs) {
  const first = rs[0];
  let what;
  if (first.message) {
    const th = state.threads.get(first.thread);
    what = th ? words("say.receipt.message_on", { subject: said(th.subject) }) : t("say.receipt.message");
  } else {
    const n = state.notices.get(first.notice)?.properties;
    what = words("say.receipt.notice", { title: n ? said(n.title) : t("say.untitled"), version: first.version ?? "" });
  }
  const acked = rs.filter((r) => r.acknowledged_at).map((r) => r.party);
  const got = rs.filter((r) => !r.acknowledged_at).map((r) => r.party);
  const out = [];
  if (got.length) out.push(...words("say.receipt.received", { parties: parties(got), what: h("span", {}, what) }));
  if (acked.length) {
    if (out.length) out.push("; ");
    out.push(...words("say.receipt.acknowledged", { parties: parties(acked), what: h("span", {}, what) }));
  }
  return out;
}

function escalation(e) {
  if (e.about === "request") {
    return words("say.escalation.request", { from: who(e.from, { you: true }), to: who(e.to, { you: true }), deadline: utc(e.deadline) });
  }
  if (e.about === "acknowledgement") {
    const n = state.notices.get(e.notice)?.properties;
    const title = e.title || n?.title;
    return words("say.escalation.acknowledgement", {
      title: title ? said(title) : t("say.untitled"),
      missing: parties(e.missing || []),
      due: utc(e.due),
    });
  }
  return [t("say.escalation.other")];
}

// A party kept opening conflicts with one notice it may not see: its party is told which one;
// the host, who and whose.
function probing(p) {
  const n = p.notice ? state.notices.get(p.notice)?.properties : null;
  if (p.notice) {
    return words("say.probing.mine", {
      who: who(p.party), n: p.opens ?? "", title: n?.title ? said(n.title) : t("say.untitled"), since: utc(p.since),
    });
  }
  return words("say.probing.host", { who: who(p.party), owner: who(p.owner), n: p.opens ?? "", since: utc(p.since) });
}

/** The words of an event (without its time), as an array of strings and nodes. */
export function sentence(event) {
  if (event.notice) return notice(event, event.notice);
  if (event.conflict) return conflict(event, event.conflict);
  if (event.thread) return thread(event.thread);
  if (event.message) return message(event.message);
  if (event.escalation) return escalation(event.escalation);
  if (event.probing) return probing(event.probing);
  if (Array.isArray(event.receipts) && event.receipts.length) return receiptsOf(event.receipts);
  if (event.receipt) return receiptsOf([event.receipt]);
  if (event.key) return words("say.key", { who: who(event.key.party || event.party) });
  return [event.kind];
}

/** "14:05Z " and the event's words: its line in the inbox. */
export function line(event) {
  return [h("time", { datetime: event.at, class: "when" }, utc(event.at)), " ", ...sentence(event)];
}

/** What an event is about, for a click: {type: "notice"|"conflict"|"thread", id}, or null. */
export function about(event) {
  if (event.notice) return { type: "notice", id: event.notice.id || event.subject };
  if (event.conflict) return { type: "conflict", id: event.conflict.id || event.subject };
  if (event.thread) return { type: "thread", id: event.thread.id };
  if (event.message) return { type: "thread", id: event.message.thread };
  if (event.escalation?.thread) return { type: "thread", id: event.escalation.thread };
  if (event.escalation?.notice) return { type: "notice", id: event.escalation.notice };
  if (event.probing?.notice) return { type: "notice", id: event.probing.notice };
  const r = event.receipts?.[0] || event.receipt;
  if (r?.thread) return { type: "thread", id: r.thread };
  if (r?.notice) return { type: "notice", id: r.notice };
  return null;
}

/** A request addressed to my party by another, still awaiting my answer. */
export function awaitsMe(m) {
  return m?.kind === "request" && state.me !== null && mine(m.to) && !mine(m.party) && m.state === "open";
}
