// What the console knows of the line, as this member may see it, and who to tell when it
// changes. Panels and map layers read `state` and subscribe to topics:
//   "me", "notices", "tracks", "conflicts", "threads", "events" (one new event), "time",
//   "select" ({type, id}: something was chosen, on the map or in a list), "connection".

export const state = {
  me: null, // {member, name, role, party: {slug, name}}
  parties: [], // [{slug, name}]
  notices: new Map(), // id -> GeoJSON Feature (properties: the notice, volume_parts)
  tracks: new Map(), // "party/uid" -> track
  conflicts: new Map(), // id -> GeoJSON Feature (properties: the conflict as I see it)
  threads: new Map(), // id -> thread
  events: [], // the latest events, newest last (the inbox)
  lastSeq: 0,
  at: null, // the time the picture shows (Date), or null: now, following the clock
  connected: null, // null until the stream first opens or fails: either is news
};

const topics = new Map();

export function on(topic, fn) {
  if (!topics.has(topic)) topics.set(topic, []);
  topics.get(topic).push(fn);
}

export function emit(topic, payload) {
  for (const fn of topics.get(topic) || []) {
    try {
      fn(payload);
    } catch (error) {
      console.error(`while telling ${topic}:`, error);
    }
  }
}

/** The instant the picture shows: the chosen time, or now. */
export function pictureTime() {
  return state.at ?? new Date();
}

export function mine(party) {
  return state.me !== null && party === state.me.party.slug;
}

export function partyName(slug) {
  return state.parties.find((p) => p.slug === slug)?.name ?? slug;
}

export function select(type, id) {
  emit("select", { type, id });
}
