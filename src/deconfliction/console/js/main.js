// The console's start: language, sign-in, then the map and the panels, all kept current by
// the stream. Sign-out forgets the token and reloads the page, which drops everything held.
import * as api from "./api.js";
import { byId, fill, h } from "./dom.js";
import * as i18n from "./i18n.js";
import * as live from "./live.js";
import * as session from "./session.js";
import { emit, on, state } from "./store.js";
import { createMap, frame } from "./map.js";
import { timebar } from "./timebar.js";
import { details } from "./details.js";
import { conflictsPanel } from "./conflicts.js";
import { inboxPanel } from "./inbox.js";
import { threadsPanel } from "./threads.js";
import { noticesPanel } from "./notices.js";
import { recordPanel } from "./record.js";

function showProblem(error) {
  const alerts = byId("alerts");
  const where = error.pointer ? ` (${error.pointer})` : "";
  const note = h("p", { class: "problem" }, `${error.message}${where}`);
  alerts.append(note);
  setTimeout(() => note.remove(), 8000);
}

function clock() {
  const el = byId("clock");
  const tick = () => {
    el.textContent = i18n.utcAndLocal(new Date());
  };
  tick();
  setInterval(tick, 1000);
  i18n.onChange(tick);
}

function connection() {
  const banner = byId("banner");
  on("connection", (up) => {
    banner.hidden = up;
    banner.textContent = up ? "" : i18n.t("live.lost");
    banner.classList.toggle("down", !up);
  });
  i18n.onChange(() => {
    if (!banner.hidden) banner.textContent = i18n.t("live.lost");
  });
}

let shown = false; // the console is built once per page; signing out reloads the page

async function signedIn() {
  if (shown) return;
  const me = await api.get("/v1/me"); // a token the line does not know stops here, with a 401
  shown = true;
  state.me = me;
  state.parties = (await api.get("/v1/parties")).parties;
  const who = () => fill(byId("who"), h("bdi", {}, me.party.name), " · ", i18n.t(`role.${me.role}`));
  who();
  i18n.onChange(who);
  byId("signin").hidden = true;
  byId("console").hidden = false;
  byId("sign-out").hidden = false;
  emit("me", me);
  await createMap(byId("map"));
  timebar(byId("timebar"));
  details();
  conflictsPanel();
  inboxPanel();
  threadsPanel();
  noticesPanel();
  recordPanel();
  connection();
  await live.start();
  frame();
  document.body.dataset.ready = "true"; // the picture is drawn: tests and benchmarks wait on it
}

async function signIn(event) {
  event.preventDefault();
  const input = byId("token");
  const error = byId("signin-error");
  error.textContent = "";
  session.keep(input.value.trim());
  input.value = "";
  try {
    await signedIn();
  } catch (problem) {
    failed(problem, error);
  }
}

/** A sign-in that did not finish: a refused token is forgotten; anything else (the line
 * restarting, a dropped network) keeps it, says what happened, and a reload tries again. */
function failed(problem, where) {
  if (problem.status === 401) {
    session.forget();
    where.textContent = i18n.t("signin.refused");
  } else if (shown) {
    showProblem(problem);
  } else {
    where.textContent = problem.message;
  }
}

function signOut() {
  live.stop();
  session.forget();
  location.replace("/");
}

async function boot() {
  // The Sign in button stays disabled until its handler is attached: a click before that would
  // submit the form natively, sending the token to the server as form data.
  const form = byId("signin-form");
  form.addEventListener("submit", signIn);
  form.querySelector("button[type=submit]").disabled = false;
  await i18n.use(i18n.preferred());
  const lang = byId("lang");
  lang.value = i18n.current();
  lang.addEventListener("change", () => i18n.use(lang.value));
  clock();
  byId("sign-out").addEventListener("click", signOut);
  on("problem", showProblem);
  on("signed-out", signOut);
  if (session.token()) {
    try {
      await signedIn();
    } catch (problem) {
      failed(problem, byId("signin-error"));
    }
  }
}

boot();
