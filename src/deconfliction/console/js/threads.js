// The threads panel (being built).
import { byId } from "./dom.js";

export function threadsPanel() {
  byId("threads");
}
