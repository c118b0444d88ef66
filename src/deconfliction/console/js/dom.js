// Building the page's elements. Every party-supplied string becomes a text node, never markup:
// the console never parses a string as markup, so a title carrying tags or bidi controls is shown as
// the characters it is, isolated (<bdi>) so it cannot reorder the text around it.

/** An element: `h("button", {type: "button", onclick: f, class: "x"}, "text", child, ...)`. */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2), value);
    } else if (key === "class") {
      el.className = value;
    } else if (key === "dataset") {
      Object.assign(el.dataset, value);
    } else if (key === "value" || key === "checked" || key === "selected") {
      el[key] = value;
    } else {
      el.setAttribute(key, value === true ? "" : String(value));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Text another party wrote (a title, a callsign, a message): isolated from its surroundings. */
export function said(text) {
  return h("bdi", {}, text ?? "");
}

/** Replace `el`'s children. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** `document.getElementById`, or an error naming the missing element. */
export function byId(id) {
  const el = document.getElementById(id);
  if (!el) throw new Error(`no element #${id}`);
  return el;
}

/** Run `render()`, which redraws `container`, and put the focus back where it was: on the
 * control of the same class in the item of the same `data-id` (or `data-seq`). A list that is
 * redrawn as events arrive must not throw a keyboard user back to the top of the page. */
export function keepingFocus(container, render) {
  const had = document.activeElement;
  const item = had && container.contains(had) ? had.closest("[data-id], [data-seq]") : null;
  render();
  if (!item) return;
  const key = item.dataset.id !== undefined ? "id" : "seq";
  const again = container.querySelector(`[data-${key}="${CSS.escape(item.dataset[key])}"]`);
  const control = had.classList[0] ? again?.querySelector(`.${CSS.escape(had.classList[0])}`) : null;
  (control || again?.querySelector("button"))?.focus();
}
