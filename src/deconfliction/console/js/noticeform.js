// The form that declares a notice (POST /v1/notices) or replaces my own (PUT with If-Match):
// kind, title, protected, audience, and one or more volumes, each an area drawn on the map
// (draw.js) or pasted as GeoJSON, a window entered in UTC (local time shown beside) and an
// optional altitude band in feet or metres, above mean sea level (EGM96, heights.js) or the
// ellipsoid. What is sent is always metres above the WGS84 ellipsoid. The line's answer lists
// the conflicts it found: they are shown here before the form closes. An error is shown beside
// the field the line's `pointer` names.
import * as api from "./api.js";
import { byId, fill, h, said } from "./dom.js";
import { number, t, utcAndLocal } from "./i18n.js";
import { emit, state } from "./store.js";
import { sideName } from "./details.js";
import * as draw from "./draw.js";
import * as heights from "./heights.js";

const KINDS = ["operation", "site", "movement"];
const SHAPES = ["polygon", "circle", "corridor"];
let open = false;
let uid = 0;

export function formOpen() {
  return open;
}

// ---- GeoJSON pasted into a volume ----------------------------------------------------------

class Invalid extends Error {}

function position(p) {
  if (!Array.isArray(p) || p.length < 2 || !p.every((x) => typeof x === "number" && Number.isFinite(x))) {
    throw new Invalid(t("form.geojson_position"));
  }
  const [lon, lat] = p;
  if (lon < -180 || lon > 180 || lat < -90 || lat > 90) throw new Invalid(t("form.geojson_range"));
  return [lon, lat];
}

function ring(r) {
  if (!Array.isArray(r)) throw new Invalid(t("form.geojson_ring"));
  const points = r.map(position);
  const [a, z] = [points[0], points[points.length - 1]];
  if (points.length && (a[0] !== z[0] || a[1] !== z[1])) points.push(a); // close it
  if (points.length < 4) throw new Invalid(t("form.geojson_ring"));
  return points;
}

/** Volume shapes from GeoJSON text: a Polygon (or MultiPolygon), a Point with a radius, a
 * LineString with a half-width, or a Feature or FeatureCollection of them (a Feature's
 * `radius_m`/`half_width_m` property, else `width`). Throws Invalid with a message. */
export function shapesFrom(text, width) {
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Invalid(t("form.geojson_json"));
  }
  const out = [];
  const geometry = (g, props = {}) => {
    if (!g || typeof g !== "object") throw new Invalid(t("form.geojson_type"));
    if (g.type === "Polygon") {
      if (!Array.isArray(g.coordinates) || !g.coordinates.length) throw new Invalid(t("form.geojson_ring"));
      out.push({ footprint: { type: "Polygon", coordinates: g.coordinates.map(ring) } });
    } else if (g.type === "MultiPolygon") {
      for (const p of g.coordinates || []) geometry({ type: "Polygon", coordinates: p }, props);
    } else if (g.type === "Point") {
      const radius = Number(props.radius_m ?? width);
      if (!(radius > 0)) throw new Invalid(t("form.geojson_radius"));
      out.push({ footprint: { type: "Point", coordinates: position(g.coordinates) }, radius_m: radius });
    } else if (g.type === "LineString") {
      const half = Number(props.half_width_m ?? width);
      if (!(half > 0)) throw new Invalid(t("form.geojson_half_width"));
      if (!Array.isArray(g.coordinates) || g.coordinates.length < 2) throw new Invalid(t("form.geojson_line"));
      out.push({ footprint: { type: "LineString", coordinates: g.coordinates.map(position) }, half_width_m: half });
    } else {
      throw new Invalid(t("form.geojson_type"));
    }
  };
  if (json?.type === "FeatureCollection") {
    for (const f of json.features || []) geometry(f?.geometry, f?.properties || {});
  } else if (json?.type === "Feature") {
    geometry(json.geometry, json.properties || {});
  } else {
    geometry(json);
  }
  if (!out.length) throw new Invalid(t("form.geojson_empty"));
  return out;
}

/** A circle as a 64-sided polygon, to show a pasted Point with its radius. */
function circleRing([lon, lat], radius) {
  const R = 6371008.8;
  const rad = Math.PI / 180;
  const d = radius / R;
  const ring = [];
  for (let i = 0; i <= 64; i++) {
    const b = (i % 64) * (2 * Math.PI / 64);
    const la = Math.asin(Math.sin(lat * rad) * Math.cos(d) + Math.cos(lat * rad) * Math.sin(d) * Math.cos(b));
    const lo = lon * rad + Math.atan2(Math.sin(b) * Math.sin(d) * Math.cos(lat * rad), Math.cos(d) - Math.sin(lat * rad) * Math.sin(la));
    ring.push([lo / rad, la / rad]);
  }
  return { type: "Polygon", coordinates: [ring] };
}

/** Show a pasted shape on the map among the drawings (a circle as its circle). */
function showShape(shape) {
  if (shape.radius_m) return draw.show(circleRing(shape.footprint.coordinates, shape.radius_m));
  return draw.show(shape.footprint);
}

// ---- times: entered in UTC -------------------------------------------------------------------

function toInput(date) {
  return new Date(date).toISOString().slice(0, 16);
}

function fromInput(value) {
  if (!value) return null;
  const d = new Date(`${value.length === 16 ? `${value}:00` : value}Z`);
  return Number.isNaN(d.getTime()) ? null : d;
}

// ---- the form --------------------------------------------------------------------------------

function field(id, labelText, control, ...after) {
  return h("div", { class: "field" }, h("label", { for: id }, labelText), control, ...after);
}

function errorSlot(id) {
  return h("p", { id, class: "error field-error", "aria-live": "polite" });
}

function describe(shape) {
  if (!shape) return t("form.no_area");
  const f = shape.footprint;
  if (f.type === "Point") return t("form.area_circle", { r: number(shape.radius_m) });
  if (f.type === "LineString") return t("form.area_corridor", { n: f.coordinates.length, w: number(shape.half_width_m) });
  return t("form.area_polygon", { n: f.coordinates[0].length - 1 });
}

/** Open the form: a new notice (`id` null) or my notice `id`, read afresh with its ETag. */
export async function openForm(id, note = "") {
  const box = byId("notice-form-box");
  let existing = null;
  if (id) {
    try {
      const { body, etag } = await api.call(`/v1/notices/${encodeURIComponent(id)}`);
      existing = { notice: body, etag };
    } catch (error) {
      emit("problem", error);
      return;
    }
  }
  heights.preload();
  draw.clear();
  open = true;
  emit("form", true);
  box.hidden = false;
  build(box, existing, note);
}

function close() {
  draw.clear();
  open = false;
  const box = byId("notice-form-box");
  box.hidden = true;
  box.replaceChildren();
  emit("form", false);
  byId("notices").querySelector(".new-notice")?.focus();
}

function build(box, existing, note) {
  const n = existing?.notice;
  const key = ++uid;
  const id = (name) => `nf${key}-${name}`;
  const errors = new Map(); // pointer -> {slot, control}
  const slot = (pointer, control) => {
    const el = errorSlot(id(`err${pointer.replaceAll("/", "-")}`));
    errors.set(pointer, { slot: el, control });
    if (control) control.setAttribute("aria-describedby", [control.getAttribute("aria-describedby"), el.id].filter(Boolean).join(" "));
    return el;
  };

  const kind = h("select", { id: id("kind") }, KINDS.map((k) => h("option", { value: k }, t(`notice.kind.${k}`))));
  kind.value = n?.kind ?? "operation";
  const title = h("input", { id: id("title"), type: "text", maxlength: 200, value: n?.title ?? "", autocomplete: "off" });
  const protectedBox = h("input", { id: id("protected"), type: "checkbox", checked: Boolean(n?.protected) });

  // audience: every party, or chosen ones
  const others = state.parties.filter((p) => p.slug !== state.me.party.slug);
  const chosen = new Set(Array.isArray(n?.audience) ? n.audience : []);
  const everyone = h("input", { id: id("aud-all"), type: "radio", name: id("aud"), value: "all", checked: !n || n.audience === "all" });
  const some = h("input", { id: id("aud-some"), type: "radio", name: id("aud"), value: "some", checked: Boolean(n && n.audience !== "all") });
  const partyBoxes = others.map((p) =>
    h("input", { id: id(`aud-${p.slug}`), type: "checkbox", value: p.slug, checked: chosen.has(p.slug) }),
  );
  const partyList = h("div", { class: "audience-parties" },
    others.map((p, i) => h("div", { class: "check" }, partyBoxes[i], h("label", { for: partyBoxes[i].id }, said(p.name)))),
  );
  const syncAudience = () => {
    for (const b of partyBoxes) b.disabled = everyone.checked;
  };
  everyone.addEventListener("change", syncAudience);
  some.addEventListener("change", syncAudience);
  syncAudience();
  const audience = h("fieldset", { class: "audience" },
    h("legend", {}, t("form.audience")),
    h("div", { class: "check" }, everyone, h("label", { for: everyone.id }, t("form.audience_all"))),
    h("div", { class: "check" }, some, h("label", { for: some.id }, t("form.audience_some"))),
    partyList,
  );

  // heights: the unit and the reference, for every volume of the form
  const unit = h("select", { id: id("unit") },
    h("option", { value: "ft" }, t("form.unit_ft")), h("option", { value: "m" }, t("form.unit_m")));
  const reference = h("select", { id: id("ref") },
    h("option", { value: "amsl" }, t("form.ref_amsl")), h("option", { value: "ellipsoid" }, t("form.ref_ellipsoid")));
  let was = { unit: "ft", reference: "amsl" };

  const volumes = [];
  const volumeBox = h("div", { class: "volumes" });

  function addVolume(v = null, shape = null) {
    const vk = ++uid;
    const vid = (name) => `nf${key}-v${vk}-${name}`;
    const vol = { shape: null, layer: null, n: null };
    const status = h("p", { class: "area-status", id: vid("status"), "aria-live": "polite" }, describe(null));
    const width = h("input", { id: vid("width"), type: "number", min: 1, step: 1, value: 1000, inputmode: "numeric" });
    const paste = h("textarea", { id: vid("geojson"), rows: 3, spellcheck: "false", placeholder: '{"type": "Polygon", "coordinates": [...]}' });
    const start = h("input", { id: vid("start"), type: "datetime-local", step: 60, required: true });
    const end = h("input", { id: vid("end"), type: "datetime-local", step: 60, required: true });
    const startLocal = h("output", { for: start.id, class: "local" });
    const endLocal = h("output", { for: end.id, class: "local" });
    const lower = h("input", { id: vid("lower"), type: "number", step: "any", inputmode: "decimal" });
    const upper = h("input", { id: vid("upper"), type: "number", step: "any", inputmode: "decimal" });
    const lowerOther = h("output", { for: lower.id, class: "other-height" });
    const upperOther = h("output", { for: upper.id, class: "other-height" });
    Object.assign(vol, { start, end, lower, upper, width });

    const now = Date.now();
    const begin = v ? new Date(v.time.start) : new Date(Math.ceil(now / 300000) * 300000);
    start.value = toInput(begin);
    end.value = toInput(v ? new Date(v.time.end) : new Date(begin.getTime() + 2 * 3600000));

    const showTimes = () => {
      const s = fromInput(start.value);
      const e = fromInput(end.value);
      startLocal.textContent = s ? utcAndLocal(s, { day: "always" }) : "";
      endLocal.textContent = e ? utcAndLocal(e, { day: "always" }) : "";
    };
    start.addEventListener("input", showTimes);
    end.addEventListener("input", showTimes);
    showTimes();

    const showHeights = () => {
      const other = reference.value === "amsl" ? t("form.ref_ellipsoid") : t("form.ref_amsl");
      for (const [input, out] of [[lower, lowerOther], [upper, upperOther]]) {
        if (input.value === "") {
          out.textContent = "";
        } else if (vol.n === null) {
          out.textContent = vol.shape ? t("form.no_geoid") : t("form.geoid_needs_area");
        } else {
          const value = heights.otherReference(Number(input.value), unit.value, reference.value, vol.n);
          out.textContent = t("form.height_other", { value: number(value), unit: t(`form.unit_${unit.value}`), ref: other });
        }
      }
    };
    lower.addEventListener("input", showHeights);
    upper.addEventListener("input", showHeights);
    vol.showHeights = showHeights;

    const setShape = async (s, layer) => {
      if (vol.layer) vol.layer.remove();
      vol.shape = s;
      vol.layer = layer;
      status.textContent = describe(s);
      const c = heights.centre(s.footprint);
      vol.n = c ? await heights.undulation(c[0], c[1]) : null;
      showHeights();
    };
    vol.setShape = setShape;

    const drawButtons = SHAPES.map((kindOf) =>
      h("button", {
        type: "button", class: `draw-${kindOf}`,
        onclick: async () => {
          status.textContent = t("form.drawing");
          const half = Number(width.value) > 0 ? Number(width.value) : 1000;
          const got = await draw.drawArea(kindOf, { halfWidth: half });
          if (got) await setShape(got.shape, got.layer);
          else status.textContent = describe(vol.shape);
        },
      }, t(`form.draw_${kindOf}`)),
    );
    const usePasted = h("button", {
      type: "button", class: "use-geojson",
      onclick: async () => {
        const err = vol.slots.footprint;
        err.textContent = "";
        paste.removeAttribute("aria-invalid");
        try {
          const shapes = shapesFrom(paste.value, Number(width.value));
          await setShape(shapes[0], showShape(shapes[0]));
          // the rest of a FeatureCollection: one volume each, with this one's window and band
          for (const more of shapes.slice(1)) {
            const copy = addVolume({ time: { start: fromInput(start.value), end: fromInput(end.value) } });
            copy.lower.value = lower.value;
            copy.upper.value = upper.value;
            await copy.setShape(more, showShape(more));
          }
        } catch (problem) {
          if (!(problem instanceof Invalid)) throw problem;
          err.textContent = problem.message;
          paste.setAttribute("aria-invalid", "true");
        }
      },
    }, t("form.use_geojson"));
    const remove = h("button", {
      type: "button", class: "remove-volume",
      onclick: () => {
        if (volumes.length < 2) return;
        if (vol.layer) vol.layer.remove();
        volumes.splice(volumes.indexOf(vol), 1);
        vol.el.remove();
        relabel();
      },
    }, t("form.remove_volume"));
    const legend = h("legend", {});
    vol.legend = legend;
    vol.remove = remove;

    // the error slots are found by pointer, so they take the volume's place in the list
    vol.el = h("fieldset", { class: "volume" }, legend,
      h("div", { class: "area" },
        h("span", { class: "label" }, t("form.area")),
        h("div", { class: "draw-buttons", role: "group", "aria-label": t("form.area") }, drawButtons),
        field(width.id, t("form.width"), width),
        h("details", {}, h("summary", {}, t("form.paste")),
          field(paste.id, t("form.geojson"), paste), usePasted),
        status,
      ),
      field(start.id, t("form.start"), start, startLocal),
      field(end.id, t("form.end"), end, endLocal),
      field(lower.id, t("form.lower"), lower, lowerOther),
      field(upper.id, t("form.upper"), upper, upperOther),
      remove,
    );
    vol.slots = { footprint: errorSlot(vid("err-area")), time: errorSlot(vid("err-time")), altitude: errorSlot(vid("err-alt")) };
    vol.el.querySelector(".area").append(vol.slots.footprint);
    end.parentElement.append(vol.slots.time);
    upper.parentElement.append(vol.slots.altitude);
    paste.setAttribute("aria-describedby", vol.slots.footprint.id);
    start.setAttribute("aria-describedby", vol.slots.time.id);
    end.setAttribute("aria-describedby", vol.slots.time.id);
    lower.setAttribute("aria-describedby", vol.slots.altitude.id);
    upper.setAttribute("aria-describedby", vol.slots.altitude.id);

    volumes.push(vol);
    volumeBox.append(vol.el);
    relabel();
    if (shape) setShape(shape, null);
    return vol;
  }

  function relabel() {
    volumes.forEach((vol, i) => {
      vol.legend.textContent = t("form.volume", { n: i + 1 });
      vol.remove.hidden = volumes.length < 2;
    });
  }

  // a height entered before the unit or reference changed keeps its meaning
  const convert = async () => {
    for (const vol of volumes) {
      for (const input of [vol.lower, vol.upper]) {
        if (input.value === "") continue;
        const value = Number(input.value);
        let metres = heights.toMetres(value, was.unit);
        if (was.reference !== reference.value && vol.n !== null) {
          metres = reference.value === "amsl" ? metres - vol.n : metres + vol.n;
        }
        input.value = String(Math.round(heights.fromMetres(metres, unit.value)));
      }
      vol.showHeights();
    }
    was = { unit: unit.value, reference: reference.value };
  };
  unit.addEventListener("change", convert);
  reference.addEventListener("change", convert);

  const general = h("p", { class: "error form-error", role: "alert" });
  const submit = h("button", { type: "submit", class: "primary" }, existing ? t("form.save") : t("form.submit"));
  const cancel = h("button", { type: "button", onclick: close }, t("form.cancel"));
  const result = h("div", { class: "form-result", hidden: true });
  const fields = h("fieldset", { class: "form-fields" },
    h("legend", { class: "visually-hidden" }, existing ? t("form.edit_title") : t("form.new_title")),
    field(kind.id, t("form.kind"), kind, slot("/kind", kind)),
    field(title.id, t("form.title"), title, slot("/title", title)),
    h("div", { class: "check" }, protectedBox, h("label", { for: protectedBox.id }, t("form.protected"))),
    audience,
    slot("/audience", null),
    h("div", { class: "heights-choice" },
      field(unit.id, t("form.unit"), unit),
      field(reference.id, t("form.reference"), reference),
    ),
    h("p", { class: "help" }, t("form.heights_help")),
    volumeBox,
    h("button", { type: "button", class: "add-volume", onclick: () => addVolume().start.focus() }, t("form.add_volume")),
    slot("/volumes", null),
  );
  const form = h("form", { class: "notice-form", novalidate: true, "aria-labelledby": id("heading") },
    h("h3", { id: id("heading") }, existing ? t("form.edit_title") : t("form.new_title")),
    note ? h("p", { class: "form-note", role: "status" }, note) : null,
    fields,
    general,
    h("div", { class: "form-buttons" }, submit, cancel),
    result,
  );
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    send();
  });
  fill(box, form);

  if (n) {
    reference.value = "ellipsoid";
    unit.value = "m";
    was = { unit: "m", reference: "ellipsoid" };
    for (const v of n.volumes) {
      const vol = addVolume(v, { footprint: v.footprint, radius_m: v.radius_m ?? undefined, half_width_m: v.half_width_m ?? undefined });
      if (v.altitude?.lower_m != null) vol.lower.value = String(v.altitude.lower_m);
      if (v.altitude?.upper_m != null) vol.upper.value = String(v.altitude.upper_m);
      vol.showHeights();
    }
  } else {
    addVolume();
  }
  box.scrollIntoView?.({ block: "nearest" });
  kind.focus();

  function clearErrors() {
    general.textContent = "";
    for (const { slot: el, control } of errors.values()) {
      el.textContent = "";
      control?.removeAttribute("aria-invalid");
    }
    for (const vol of volumes) {
      for (const el of Object.values(vol.slots)) el.textContent = "";
      for (const c of [vol.start, vol.end, vol.lower, vol.upper]) c.removeAttribute("aria-invalid");
    }
  }

  /** Put `message` beside the field `pointer` names (the nearest one the form has); the
   * control at fault, if there is one. */
  function showError(pointer, message) {
    const m = /^\/volumes\/(\d+)(\/[^/]+)?/.exec(pointer || "");
    if (m && volumes[Number(m[1])]) {
      const vol = volumes[Number(m[1])];
      const part = m[2] === "/time" ? "time" : m[2] === "/altitude" ? "altitude" : "footprint";
      vol.slots[part].textContent = message;
      const control = part === "time" ? (pointer.endsWith("/end") ? vol.end : vol.start) : part === "altitude" ? (pointer.endsWith("/upper_m") ? vol.upper : vol.lower) : null;
      control?.setAttribute("aria-invalid", "true");
      return control ?? vol.el.querySelector("button");
    }
    const found = [...errors.keys()].filter((p) => pointer && pointer.startsWith(p)).sort((a, b) => b.length - a.length)[0];
    if (found) {
      const { slot: el, control } = errors.get(found);
      el.textContent = message;
      control?.setAttribute("aria-invalid", "true");
      return control;
    }
    general.textContent = message;
    return null;
  }

  /** Show every problem beside its field, and take the reader to the first. */
  function showErrors(problems) {
    const controls = problems.map(([pointer, message]) => showError(pointer, message));
    controls.find(Boolean)?.focus();
  }

  function body() {
    const problems = [];
    const audienceValue = everyone.checked ? "all" : partyBoxes.filter((b) => b.checked).map((b) => b.value);
    // none ticked: my party alone sees it (a private notice still conflicts, redacted)
    const vols = volumes.map((vol, i) => {
      const at = `/volumes/${i}`;
      if (!vol.shape) problems.push([`${at}/footprint`, t("form.area_needed")]);
      const s = fromInput(vol.start.value);
      const e = fromInput(vol.end.value);
      if (!s) problems.push([`${at}/time/start`, t("form.time_needed")]);
      else if (!e) problems.push([`${at}/time/end`, t("form.time_needed")]);
      else if (e <= s) problems.push([`${at}/time/end`, t("form.time_order")]);
      const height = (input) => {
        if (input.value === "") return null;
        const value = Number(input.value);
        if (!Number.isFinite(value)) return null;
        if (reference.value === "amsl" && vol.n === null) {
          if (vol.shape) problems.push([`${at}/altitude`, t("form.no_geoid")]); // else: the area's error says it
          return null;
        }
        return Math.round(heights.ellipsoidMetres(value, unit.value, reference.value, vol.n ?? 0) * 10) / 10;
      };
      const lo = height(vol.lower);
      const hi = height(vol.upper);
      if (lo !== null && hi !== null && hi <= lo) problems.push([`${at}/altitude/upper_m`, t("form.height_order")]);
      const out = { ...(vol.shape ?? {}), time: { start: s?.toISOString(), end: e?.toISOString() } };
      if (lo !== null || hi !== null) out.altitude = { lower_m: lo, upper_m: hi };
      return out;
    });
    const value = {
      kind: kind.value,
      title: title.value.trim(),
      protected: protectedBox.checked,
      audience: audienceValue,
      volumes: vols,
    };
    // a new version replaces the notice whole: keep the separation buffers it was given (the
    // form does not edit them), or an edited title would quietly shrink them to the line's own
    if (n?.buffers) value.buffers = n.buffers;
    return { problems, value };
  }

  async function send() {
    clearErrors();
    const { problems, value } = body();
    if (problems.length) {
      showErrors(problems);
      return;
    }
    submit.disabled = true;
    try {
      const { body: answer } = existing
        ? await api.call(`/v1/notices/${encodeURIComponent(n.id)}`, { method: "PUT", body: value, ifMatch: existing.etag })
        : await api.call("/v1/notices", { method: "POST", body: value });
      try {
        const { body: feature } = await api.call(`/v1/notices/${encodeURIComponent(answer.notice.id)}`, { geo: true });
        state.notices.set(feature.id, feature);
      } catch {
        // the stream brings it too
      }
      showResult(answer);
    } catch (error) {
      submit.disabled = false;
      if (error.status === 412 && existing) {
        openForm(n.id, t("form.changed_meanwhile"));
        return;
      }
      const listed = (error.errors || []).filter((e) => e.message);
      showErrors(listed.length ? listed.map((e) => [e.pointer ?? "", e.message]) : [[error.pointer, error.message]]);
    }
  }

  function showResult(answer) {
    fields.disabled = true;
    submit.hidden = true;
    cancel.hidden = true;
    const conflicts = answer.conflicts || [];
    const other = (c) => {
      if (!c.other) return "—";
      const name = said(sideName(c.other));
      return c.redacted ? [name, " ", t("form.not_shared")] : name;
    };
    const done = h("button", { type: "button", class: "done primary", onclick: close }, t("form.done"));
    fill(result,
      h("h4", { tabindex: -1, class: "result-head" }, t("form.saved", { version: answer.notice.version })),
      conflicts.length
        ? [
            h("p", {}, t("form.conflicts_found", { n: conflicts.length })),
            h("ul", { class: "form-conflicts" }, conflicts.map((c) =>
              h("li", { class: `conflict severity-${c.severity}`, dataset: { id: c.id } },
                h("strong", {}, t(`severity.${c.severity}`)), " · ", t(`conflict.kind.${c.kind}`), " · ",
                h("span", { class: "conflict-other" }, other(c)),
              ))),
          ]
        : h("p", {}, t("form.no_conflicts")),
      done,
    );
    result.hidden = false;
    emit("notices");
    done.focus();
  }
}
