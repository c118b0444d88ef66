// Keeping the picture current. At sign-in: notices, conflicts (as GeoJSON), threads, tracks and
// the event log. Then events arrive over a WebSocket opened with a one-use ticket (POST
// /v1/stream/tickets), so no token is ever in a URL; it resumes from the last sequence number
// it saw, so a dropped connection loses nothing. Live tracks are not events: they are read
// every second.
import * as api from "./api.js";
import { mark } from "./canvas.js";
import { emit, state } from "./store.js";

const INBOX = 300; // events kept for the inbox
const TRACKS_EVERY_MS = 1000;
const RETRY_MS = [500, 1000, 2000, 4000, 8000];

let socket = null;
let retries = 0;
let stopped = true;
let trackTimer = null;
let conflictsDue = null;
const withdrawn = new Set(); // notices withdrawn while this page is open: never drawn again

export async function loadNotices() {
  const features = await api.all("/v1/notices", "notices", { geo: true });
  state.notices = new Map(features.map((f) => [f.id, f]));
  emit("notices");
}

export async function loadConflicts() {
  const features = await api.all("/v1/conflicts?live=true", "conflicts", { geo: true });
  state.conflicts = new Map(features.map((f) => [f.id, f]));
  emit("conflicts");
}

export async function loadThreads() {
  const threads = await api.all("/v1/threads", "threads");
  state.threads = new Map(threads.map((t) => [t.id, t]));
  emit("threads");
}

let tracksBusy = false;
export async function loadTracks() {
  if (tracksBusy) return;
  tracksBusy = true;
  try {
    const began = performance.now();
    const tracks = await api.all("/v1/tracks", "tracks");
    const read = performance.now();
    state.tracks = new Map(tracks.map((t) => [`${t.party}/${t.uid}`, t]));
    emit("tracks");
    mark("console:tracks-read", { began, read, done: performance.now(), n: tracks.length });
  } finally {
    tracksBusy = false;
  }
}

/** The log's length as the line last signed it (its checkpoint's size), 0 if not known. */
async function recordedSize() {
  try {
    const { size } = await api.checkpoint();
    return Number.isSafeInteger(size) ? size : 0;
  } catch {
    return 0; // a line that signs no checkpoint: read the log from its start
  }
}

/** Events after `after`, to the end of the log; the last sequence number read. */
async function readFrom(after, kept) {
  for (;;) {
    const body = await api.get(`/v1/events?after=${after}&limit=1000`);
    kept.push(...body.events);
    if (kept.length > INBOX) kept.splice(0, kept.length - INBOX);
    if (body.events.length === 0 || body.last <= after) return after;
    after = body.last;
  }
}

/** The inbox's latest events: read from a little before the signed end of the log, and from
 * further back only if that held too few of mine, so a long log is not read whole at sign-in. */
async function loadEvents() {
  const size = await recordedSize();
  let back = 2000;
  for (;;) {
    const start = Math.max(0, size - back);
    const kept = [];
    const last = await readFrom(start, kept);
    if (kept.length >= INBOX || start === 0) {
      state.events = kept;
      state.lastSeq = last;
      return;
    }
    back *= 8;
  }
}

/** Everything, once; then the stream and the track reader run until `stop()`. */
export async function start() {
  stopped = false;
  // the log's end first, then what it describes: an event committed while the snapshots are
  // read comes again on the stream (after lastSeq) and is applied then; read last, it would be
  // counted as seen and never applied
  await loadEvents();
  await Promise.all([loadNotices(), loadConflicts(), loadThreads(), loadTracks()]);
  emit("events", null); // the inbox and threads, with everything they refer to at hand
  connect();
  trackTimer = setInterval(() => loadTracks().catch(() => {}), TRACKS_EVERY_MS);
}

export function stop() {
  stopped = true;
  clearInterval(trackTimer);
  if (socket) socket.close(1000);
  socket = null;
}

function setConnected(value) {
  if (state.connected === value) return;
  state.connected = value;
  emit("connection", value);
}

async function connect() {
  if (stopped) return;
  let ticket;
  try {
    ticket = (await api.call("/v1/stream/tickets", { method: "POST" })).body.ticket;
  } catch (error) {
    if (error.status === 401) return emit("signed-out", error);
    setConnected(false);
    return retry();
  }
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const url = `${scheme}://${location.host}/v1/stream?ticket=${encodeURIComponent(ticket)}&after=${state.lastSeq}`;
  const ws = new WebSocket(url);
  socket = ws;
  ws.onopen = () => {
    retries = 0;
    const wasDown = !state.connected;
    setConnected(true);
    // what events do not carry (positions, a conflict's place) may have moved meanwhile
    if (wasDown) refreshAfterGap();
  };
  ws.onmessage = (message) => receive(JSON.parse(message.data));
  ws.onclose = (close) => {
    if (socket !== ws) return;
    socket = null;
    setConnected(false);
    if (close.code === 4401) return emit("signed-out", close);
    retry();
  };
}

let gapRefreshes = 0;
function refreshAfterGap() {
  if (gapRefreshes++ === 0) return; // the first connection follows a full load
  Promise.all([loadConflicts(), loadTracks()]).catch(() => {});
}

function retry() {
  if (stopped) return;
  const wait = RETRY_MS[Math.min(retries++, RETRY_MS.length - 1)];
  setTimeout(connect, wait);
}

/** Drop the connection now (as a network would): the console shows it and comes back. */
export function drop() {
  if (socket) socket.close(4000, "dropped by the console");
}

function receive(event) {
  if (event.seq <= state.lastSeq) return; // already have it
  state.lastSeq = event.seq;
  state.events.push(event);
  if (state.events.length > INBOX) state.events.shift();
  apply(event).catch((error) => console.error("applying", event.kind, error));
  emit("events", event);
}

async function apply(event) {
  const [subject] = event.kind.split(".");
  if (subject === "notice") {
    if (event.kind === "notice.withdrawn") {
      withdrawn.add(event.subject);
      state.notices.delete(event.subject);
      emit("notices");
      return;
    }
    try {
      const { body } = await api.call(`/v1/notices/${event.subject}`, { geo: true });
      // answers may arrive out of order: never put back an older version, nor one withdrawn
      // meanwhile (its withdrawal event is already applied)
      if (withdrawn.has(body.id)) return;
      const held = state.notices.get(body.id);
      if (held && held.properties.version > body.properties.version) return;
      state.notices.set(body.id, body);
    } catch (error) {
      if (error.status !== 404) throw error;
      state.notices.delete(event.subject);
    }
    emit("notices");
  } else if (subject === "conflict") {
    // a conflict event carries no place: read the live conflicts again, once per burst
    clearTimeout(conflictsDue);
    conflictsDue = setTimeout(() => loadConflicts().catch(() => {}), 150);
  } else if (subject === "thread" || subject === "message") {
    if (event.thread) state.threads.set(event.thread.id, event.thread);
    emit("threads", event);
  }
}
