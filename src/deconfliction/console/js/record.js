// The record panel (being built).
import { byId } from "./dom.js";

export function recordPanel() {
  byId("record");
}
