// The notices panel (being built).
import { byId } from "./dom.js";

export function noticesPanel() {
  byId("notices");
}
