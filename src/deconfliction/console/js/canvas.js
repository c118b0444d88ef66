// A Leaflet layer that is one canvas over the map, redrawn whole on every move, zoom or
// change: thousands of live tracks or place names cost one draw call each, not one DOM node
// each (Leaflet's markers would be 5,000 elements to move every second). `draw(ctx, map)` is
// the subclass's; `pick(point)` finds what is under the pointer.

/** A Performance API mark for benchmarks (bench/console.py observes them as they are made);
 * only the latest of a name stays in the page's timeline, so a long session keeps none. */
export function mark(name, detail) {
  performance.clearMarks(name);
  performance.mark(name, { detail });
}

export function canvasLayer(draw, { pane = "overlayPane", pick } = {}) {
  const Layer = L.Layer.extend({
    onAdd(map) {
      this._map = map;
      this._canvas = L.DomUtil.create("canvas", "canvas-layer");
      map.getPane(pane).appendChild(this._canvas);
      map.on("moveend zoomend resize viewreset", this.redraw, this);
      map.on("zoomanim", this._hide, this);
      this.redraw();
    },
    onRemove(map) {
      map.off("moveend zoomend resize viewreset", this.redraw, this);
      map.off("zoomanim", this._hide, this);
      this._canvas.remove();
    },
    _hide() {
      this._canvas.style.visibility = "hidden";
    },
    redraw() {
      if (!this._map) return this;
      const map = this._map;
      const size = map.getSize();
      const ratio = window.devicePixelRatio || 1;
      const canvas = this._canvas;
      const ctx = canvas.getContext("2d");
      if (canvas.width !== size.x * ratio || canvas.height !== size.y * ratio) {
        // a new size: a new bitmap (setting the size even unchanged would reallocate it)
        canvas.width = size.x * ratio;
        canvas.height = size.y * ratio;
        canvas.style.width = `${size.x}px`;
        canvas.style.height = `${size.y}px`;
      }
      canvas.style.visibility = "visible";
      L.DomUtil.setPosition(canvas, map.containerPointToLayerPoint([0, 0]));
      ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
      ctx.globalAlpha = 1;
      ctx.clearRect(0, 0, size.x, size.y);
      draw(ctx, map, size);
      return this;
    },
    pick(containerPoint) {
      return pick ? pick(containerPoint, this._map) : null;
    },
  });
  return new Layer();
}
