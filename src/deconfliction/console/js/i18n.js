// Languages: every string the console shows comes from a message catalogue
// (/console/i18n/<lang>.json, flat keys, `{name}` placeholders, plural forms as `key.one` /
// `key.other` chosen by Intl.PluralRules); numbers and dates are formatted for the language by
// Intl. Arabic turns the page right-to-left. The choice is kept in local storage (it is not a
// secret, and a user expects it to stay).

const LANGS = { en: "ltr", ar: "rtl", ru: "ltr" };
const STORE = "deconfliction.lang";

let lang = "en";
let catalogue = {};
let fallback = {};
const listeners = [];

async function load(code) {
  const response = await fetch(`/console/i18n/${code}.json`, { cache: "no-cache" });
  if (!response.ok) throw new Error(`no catalogue for ${code}`);
  return response.json();
}

/** The language in use ("en", "ar", "ru"). */
export function current() {
  return lang;
}

/** Switch to `code`, re-label the page, and tell every listener. */
export async function use(code) {
  if (!(code in LANGS)) code = "en";
  if (!Object.keys(fallback).length) fallback = await load("en");
  catalogue = code === "en" ? fallback : await load(code);
  lang = code;
  localStorage.setItem(STORE, code);
  document.documentElement.lang = code;
  document.documentElement.dir = LANGS[code];
  apply(document);
  for (const fn of listeners) fn(code);
}

/** The language chosen before, else the browser's own if we speak it, else English. */
export function preferred() {
  const kept = localStorage.getItem(STORE);
  if (kept && kept in LANGS) return kept;
  const browser = (navigator.language || "en").slice(0, 2);
  return browser in LANGS ? browser : "en";
}

/** Call `fn(lang)` whenever the language changes. */
export function onChange(fn) {
  listeners.push(fn);
}

const plurals = new Map();
function pluralRules() {
  if (!plurals.has(lang)) plurals.set(lang, new Intl.PluralRules(lang));
  return plurals.get(lang);
}

/** The message `key` with `{name}` placeholders filled from `vars` (numbers formatted). */
export function t(key, vars = {}) {
  let text;
  if (typeof vars.n === "number") {
    const form = pluralRules().select(vars.n);
    text = catalogue[`${key}.${form}`] ?? fallback[`${key}.${form}`] ?? fallback[`${key}.other`];
  }
  text = text ?? catalogue[key] ?? fallback[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => {
    const value = vars[name];
    if (value === undefined) return `{${name}}`;
    return typeof value === "number" ? number(value) : String(value);
  });
}

/** Label every `[data-i18n]` element under `root` (its text), and `[data-i18n-label]` (its
 * aria-label), `[data-i18n-title]` (its title), `[data-i18n-placeholder]`,
 * `[data-i18n-roledescription]` (its aria-roledescription). */
export function apply(root) {
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll("[data-i18n-label]")) {
    el.setAttribute("aria-label", t(el.dataset.i18nLabel));
  }
  for (const el of root.querySelectorAll("[data-i18n-title]")) el.title = t(el.dataset.i18nTitle);
  for (const el of root.querySelectorAll("[data-i18n-roledescription]")) {
    el.setAttribute("aria-roledescription", t(el.dataset.i18nRoledescription));
  }
  for (const el of root.querySelectorAll("[data-i18n-placeholder]")) {
    el.placeholder = t(el.dataset.i18nPlaceholder);
  }
}

const numberFormats = new Map(); // made once per language and precision: countdowns tick every second

export function number(value, digits = 0) {
  const key = `${lang}/${digits}`;
  let format = numberFormats.get(key);
  if (!format) {
    format = new Intl.NumberFormat(lang, { maximumFractionDigits: digits });
    numberFormats.set(key, format);
  }
  return format.format(value);
}

const dateFormats = new Map();
function dateFormat(name, options) {
  const key = `${lang}/${name}`;
  if (!dateFormats.has(key)) dateFormats.set(key, new Intl.DateTimeFormat(lang, options));
  return dateFormats.get(key);
}
const utcTime = () => dateFormat("utc", { hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: "UTC" });
const localTime = () => dateFormat("local", { hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
const utcDay = () => dateFormat("day", { day: "numeric", month: "short", timeZone: "UTC" });

/** "14:05Z", or "6 Dec 14:05Z" when `date` is not today (UTC). */
export function utc(when, { day = "auto" } = {}) {
  const d = when instanceof Date ? when : new Date(when);
  const today = new Date().toISOString().slice(0, 10) === d.toISOString().slice(0, 10);
  const time = `${utcTime().format(d)}Z`;
  return day === "always" || (day === "auto" && !today) ? `${utcDay().format(d)} ${time}` : time;
}

/** "14:05Z (17:05 local)": the line speaks UTC; the reader's own clock beside it. */
export function utcAndLocal(when, options) {
  const d = when instanceof Date ? when : new Date(when);
  return t("time.utc_local", { utc: utc(d, options), local: localTime().format(d) });
}

/** A duration in seconds as "2 min 05 s", "1 h 20 min", "45 s". */
export function duration(seconds) {
  const s = Math.max(0, Math.round(Math.abs(seconds)));
  if (s < 60) return t("duration.s", { s });
  if (s < 3600) {
    return t("duration.min_s", { min: Math.floor(s / 60), s: String(s % 60).padStart(2, "0") });
  }
  const h = Math.floor(s / 3600);
  if (h < 48) return t("duration.h_min", { h, min: Math.floor((s % 3600) / 60) });
  return t("duration.d_h", { d: Math.floor(h / 24), h: h % 24 });
}

/** "in 2 min 05 s" or "5 min ago", from now to `when`. */
export function countdown(when, now = Date.now()) {
  const seconds = (new Date(when).getTime() - now) / 1000;
  return seconds >= 0
    ? t("countdown.in", { d: duration(seconds) })
    : t("countdown.ago", { d: duration(seconds) });
}

/** A distance in metres: "850 m", "12.4 km". */
export function distance(metres) {
  if (metres < 1000) return t("distance.m", { m: number(Math.round(metres)) });
  return t("distance.km", { km: number(metres / 1000, metres < 100000 ? 1 : 0) });
}
