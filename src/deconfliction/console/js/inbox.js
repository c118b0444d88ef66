// The inbox panel (being built).
import { byId } from "./dom.js";

export function inboxPanel() {
  byId("inbox");
}
