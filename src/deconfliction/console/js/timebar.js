// Time: a slider from 24 h back to 48 h ahead, in 5-minute steps. At "now" the picture follows
// the clock; anywhere else it shows which volumes will be (or were) active then. The chosen
// instant is shown in UTC with the reader's local time beside it.
import { h, fill } from "./dom.js";
import { onChange, t, utcAndLocal } from "./i18n.js";
import { emit, on, state } from "./store.js";

const STEP_MIN = 5;
const BACK_MIN = 24 * 60;
const AHEAD_MIN = 48 * 60;

export function timebar(root) {
  const label = h("label", { for: "time-slider", class: "time-label" });
  const slider = h("input", {
    id: "time-slider",
    type: "range",
    min: -BACK_MIN / STEP_MIN,
    max: AHEAD_MIN / STEP_MIN,
    step: 1,
    value: 0,
  });
  // not a live region: it changes every quarter minute, and the slider's own value text is
  // what a screen reader reads when the user moves it
  const shown = h("output", { for: "time-slider", class: "time-shown", "aria-live": "off" });
  const now = h("button", { type: "button", class: "time-now", onclick: () => choose(0) });

  function choose(steps) {
    slider.value = String(steps);
    state.at = steps === 0 ? null : new Date(Date.now() + steps * STEP_MIN * 60000);
    render();
    emit("time");
  }

  function render() {
    const steps = Number(slider.value);
    label.textContent = t("time.label");
    now.textContent = t("time.now");
    now.disabled = steps === 0;
    const when = state.at ?? new Date();
    const ahead = state.at === null ? 0 : Math.round((state.at.getTime() - Date.now()) / 60000);
    const offset = steps === 0 ? t("time.following") : t(ahead >= 0 ? "time.ahead" : "time.back", { d: hours(ahead) });
    fill(shown, utcAndLocal(when, { day: "always" }), " · ", offset);
    slider.setAttribute("aria-valuetext", `${utcAndLocal(when, { day: "always" })}, ${offset}`);
  }

  function hours(minutes) {
    const min = Math.abs(minutes);
    return t("duration.h_min", { h: Math.floor(min / 60), min: min % 60 });
  }

  slider.addEventListener("input", () => choose(Number(slider.value)));
  // another panel asks to see an instant: the step at or just after it, within the slider
  on("goto", (when) => {
    const steps = Math.ceil((when.getTime() - Date.now()) / (STEP_MIN * 60000));
    choose(Math.max(Number(slider.min), Math.min(Number(slider.max), steps)));
  });
  fill(root, label, slider, shown, now);
  render();
  onChange(render);
  // "now" follows the clock; a chosen time stays put, its offset from now shrinking
  setInterval(() => {
    render(); // a chosen instant stays put; how far it is from now changes
    if (state.at === null) emit("time");
  }, 15000);
  return { choose };
}
