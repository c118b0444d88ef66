// The record: the latest checkpoint the line signed over its events (a C2SP signed note: the
// line's name, the tree's size, its root hash, and a signature line naming the key), read again
// when events arrive, at most every few seconds; and an evidence bundle for a chosen notice
// (every version, receipt and reply about it with their inclusion proofs), saved as a .json
// file that `deconfliction record check` verifies offline.
import * as api from "./api.js";
import { byId, fill, h, said } from "./dom.js";
import { onChange, t, utcAndLocal } from "./i18n.js";
import { emit, on, state } from "./store.js";

const EVERY_MS = 3000;

let box;
let picker;
let latest = null; // {origin, size, root, key, keyId, readAt} | {none: true} | {failed}
let last = 0;
let due = null;

async function read() {
  last = Date.now();
  try {
    latest = { ...(await api.checkpoint()), readAt: new Date() };
  } catch (error) {
    if (error.status === 404) latest = { none: true };
    else latest = { failed: error.status ? `HTTP ${error.status}` : error.message };
  }
  render();
}

/** Read the checkpoint again soon: now if the last read is old enough, else once the few
 * seconds are up (one read for a burst of events). */
function soon() {
  if (due) return;
  const wait = Math.max(0, last + EVERY_MS - Date.now());
  due = setTimeout(() => {
    due = null;
    read();
  }, wait);
}

function render() {
  if (!box) return;
  const rows = [];
  const row = (name, ...value) => rows.push(h("dt", {}, name), h("dd", {}, ...value));
  if (!latest) {
    fill(box, h("p", { class: "muted" }, t("record.loading")));
    return;
  }
  if (latest.none) {
    fill(box, h("p", { class: "muted checkpoint-none" }, t("record.none")));
    return;
  }
  if (latest.failed) {
    fill(box, h("p", { class: "error" }, latest.failed));
    return;
  }
  row(t("record.size"), h("span", { class: "checkpoint-size" }, t("record.events", { n: latest.size })));
  row(t("record.root"), h("code", { class: "checkpoint-root", title: latest.root }, `${latest.root.slice(0, 12)}…`));
  row(t("record.key"), said(latest.key), latest.keyId ? [" ", h("code", {}, latest.keyId)] : null);
  row(t("record.line"), said(latest.origin));
  row(t("record.read_at"), utcAndLocal(latest.readAt));
  fill(box, h("dl", { class: "checkpoint" }, rows));
}

function fillPicker() {
  if (!picker) return;
  const before = picker.value;
  const notices = [...state.notices.values()].sort((a, b) => (a.properties.title || "").localeCompare(b.properties.title || ""));
  fill(picker, notices.map((f) => h("option", { value: f.id }, f.properties.title || f.id)));
  if (notices.some((f) => f.id === before)) picker.value = before;
}

async function download(button) {
  const id = picker.value;
  if (!id) return;
  button.disabled = true;
  try {
    const bundle = await api.get(`/v1/record/evidence?notice=${encodeURIComponent(id)}`);
    const blob = new Blob([JSON.stringify(bundle, null, 1)], { type: "application/json" });
    const url = URL.createObjectURL(blob);
    const a = h("a", { href: url, download: `evidence-${id}.json`, class: "visually-hidden" });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  } catch (error) {
    emit("problem", error);
  } finally {
    button.disabled = false;
  }
}

export function recordPanel() {
  const root = byId("record");
  const head = root.querySelector("h2");
  box = h("div", { class: "checkpoint-box" }); // redrawn as events arrive: not a live region
  picker = h("select", { id: "record-notice" });
  const button = h("button", { type: "button", class: "evidence", onclick: (e) => download(e.currentTarget) }, t("record.download"));
  const label = h("label", { for: "record-notice" }, t("record.notice"));
  const evidence = h("div", { class: "evidence-row" }, label, picker, button);
  fill(root, head, box, evidence);
  on("events", soon);
  on("notices", fillPicker);
  onChange(() => {
    label.textContent = t("record.notice");
    button.textContent = t("record.download");
    render();
  });
  fillPicker();
  read();
  render();
}
