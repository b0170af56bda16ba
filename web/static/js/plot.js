// @ts-check
// A small SVG line chart (no library): curves, each with an optional band (a lower and an upper
// bound per point), dashed horizontal reference lines, hollow points for episodes cut short by a
// reset, a tooltip on hover (the x and each curve's value at the nearest point), a legend, and a
// data table behind it for screen readers (a <details> "Data"). curves.js feeds it for the room,
// sweep and compare pages. The drawn parts carry classes and data attributes the tests read:
// `path.curve[data-series][data-first-x][data-points]`, `path.band[data-series]`,
// `line.baseline[data-baseline]`, `circle.cut`.

import { el } from "./common.js";

const SVG = "http://www.w3.org/2000/svg";
const HEIGHT = 210;
const PAD = { left: 52, right: 12, top: 10, bottom: 30 };

/**
 * One point of a curve: its x, its y, optionally its band [lo, hi] and whether it marks an
 * episode cut short (a reset).
 * @typedef {{ x: number, y: number | null, lo?: number | null, hi?: number | null, cut?: boolean }} Point
 * @typedef {{ id: string, label: string, color: string, points: Point[], band?: boolean }} Series
 * @typedef {{ id: string, label: string, y: number, color?: string }} Baseline
 * @typedef {{ series: Series[], baselines?: Baseline[], xLabel: string, xFormat?: (x: number) => string,
 *   yFormat?: (y: number) => string, bandLabel?: string, xInteger?: boolean }} PlotData
 */

/**
 * An SVG element with attributes.
 * @param {string} tag
 * @param {Record<string, string | number>} [attrs]
 * @returns {SVGElement}
 */
function svg(tag, attrs = {}) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
  return /** @type {SVGElement} */ (node);
}

/**
 * About `count` round tick values from lo to hi (whole numbers only when `integer`).
 * @param {number} lo @param {number} hi @param {number} count @param {boolean} [integer]
 */
export function niceTicks(lo, hi, count = 5, integer = false) {
  if (!(hi > lo)) return [lo];
  const raw = Math.max((hi - lo) / Math.max(1, count), integer ? 1 : 0);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const steps = integer && mag < 10 ? [1, 2, 5, 10] : [1, 2, 2.5, 5, 10];
  const step = steps.map((m) => m * mag).find((s) => s >= raw) || 10 * mag;
  const ticks = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) ticks.push(Math.abs(t) < step * 1e-9 ? 0 : t);
  return ticks;
}

/** A compact number: 1.5k, 2.3M, 0.25. @param {number} v */
export function compact(v) {
  const a = Math.abs(v);
  if (a >= 1e6) return `${+(v / 1e6).toFixed(2)}M`;
  if (a >= 1e4) return `${+(v / 1e3).toFixed(1)}k`;
  if (a >= 100 || Number.isInteger(v)) return String(Math.round(v * 10) / 10);
  if (a >= 1) return String(+v.toFixed(2));
  return String(+v.toFixed(3));
}

/** The index of the point whose x is nearest `x` (points in x order). @param {Point[]} points @param {number} x */
function nearest(points, x) {
  let lo = 0;
  let hi = points.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (points[mid].x < x) lo = mid + 1;
    else hi = mid;
  }
  if (lo > 0 && Math.abs(points[lo - 1].x - x) <= Math.abs(points[lo].x - x)) return lo - 1;
  return lo;
}

export class LinePlot {
  /**
   * @param {HTMLElement} box where the chart goes (its width is the chart's)
   * @param {string} title the chart's name (its SVG's accessible name and the data table's caption)
   */
  constructor(box, title) {
    this.box = box;
    this.title = title;
    box.classList.add("plot");
    this.svgBox = el("div", { className: "plot-svg" });
    this.tip = el("div", { className: "plot-tip", role: "presentation" });
    this.tip.hidden = true;
    this.legend = el("div", { className: "plot-legend" });
    this.empty = el("p", { className: "chart-empty", text: "Fills in as episodes end." });
    this.table = el("table", { className: "plot-table" });
    this.details = el("details", { className: "plot-data" }, el("summary", { text: "Data" }), this.table);
    box.replaceChildren(this.svgBox, this.tip, this.empty, this.legend, this.details);
    /** @type {PlotData} */
    this.data = { series: [], xLabel: "" };
    this.width = 0;
    /** @type {((x: number) => number) | null} */
    this.toX = null;
    /** @type {((px: number) => number) | null} */
    this.fromX = null;
    /** @type {((y: number) => number) | null} */
    this.toY = null;
    /** @type {SVGElement | null} the hover's vertical line */
    this.cursor = null;
    // The table is built when it is opened (and then kept up to date).
    this.details.addEventListener("toggle", () => {
      if (this.details.open) this.renderTable();
    });
    this.svgBox.addEventListener("mousemove", (e) => this.hover(e));
    this.svgBox.addEventListener("mouseleave", () => this.unhover());
    new ResizeObserver(() => {
      if (Math.abs(this.box.clientWidth - this.width) > 1) this.draw();
    }).observe(box);
  }

  /** @param {PlotData} data */
  set(data) {
    this.data = data;
    this.draw();
    if (this.details.open) this.renderTable();
  }

  draw() {
    const { series, baselines = [] } = this.data;
    const xFormat = this.data.xFormat || compact;
    const yFormat = this.data.yFormat || compact;
    const width = Math.max(240, this.box.clientWidth);
    this.width = width;
    const points = series.flatMap((s) => s.points);
    const ys = [];
    let xmin = Infinity;
    let xmax = -Infinity;
    for (const p of points) {
      if (p.y === null || !Number.isFinite(p.y)) continue;
      xmin = Math.min(xmin, p.x);
      xmax = Math.max(xmax, p.x);
      ys.push(p.y);
      if (typeof p.lo === "number") ys.push(p.lo);
      if (typeof p.hi === "number") ys.push(p.hi);
    }
    const drawn = ys.length > 0;
    this.empty.hidden = drawn;
    this.box.dataset.curves = String(series.filter((s) => s.points.some((p) => p.y !== null)).length);
    for (const b of baselines) ys.push(b.y);
    let ymin = ys.length ? Math.min(...ys) : 0;
    let ymax = ys.length ? Math.max(...ys) : 1;
    if (ymax - ymin < 1e-9) {
      ymin -= 1;
      ymax += 1;
    }
    const ypad = (ymax - ymin) * 0.05;
    ymin = ymin >= 0 && ymin - ypad < 0 ? 0 : ymin - ypad;
    ymax += ypad;
    if (!drawn) {
      xmin = 0;
      xmax = 1;
    } else if (xmax - xmin < 1e-9) {
      xmin -= 0.5;
      xmax += 0.5;
    }
    const plotW = width - PAD.left - PAD.right;
    const plotH = HEIGHT - PAD.top - PAD.bottom;
    const toX = (/** @type {number} */ x) => PAD.left + ((x - xmin) / (xmax - xmin)) * plotW;
    const toY = (/** @type {number} */ y) => PAD.top + (1 - (y - ymin) / (ymax - ymin)) * plotH;
    this.toX = toX;
    this.fromX = (px) => xmin + ((px - PAD.left) / plotW) * (xmax - xmin);
    this.toY = toY;

    const root = svg("svg", { width, height: HEIGHT, viewBox: `0 0 ${width} ${HEIGHT}`, role: "img", "aria-label": this.title });
    const grid = svg("g", { class: "plot-grid" });
    for (const t of niceTicks(ymin, ymax, 4)) {
      grid.append(svg("line", { x1: PAD.left, x2: width - PAD.right, y1: toY(t), y2: toY(t) }));
      const label = svg("text", { x: PAD.left - 6, y: toY(t) + 4, "text-anchor": "end", class: "plot-tick" });
      label.textContent = yFormat(t);
      grid.append(label);
    }
    if (drawn) {
      for (const t of niceTicks(xmin, xmax, Math.max(2, Math.floor(plotW / 90)), !!this.data.xInteger)) {
        const label = svg("text", { x: toX(t), y: HEIGHT - PAD.bottom + 16, "text-anchor": "middle", class: "plot-tick" });
        label.textContent = xFormat(t);
        grid.append(svg("line", { x1: toX(t), x2: toX(t), y1: HEIGHT - PAD.bottom, y2: HEIGHT - PAD.bottom + 4 }), label);
      }
    }
    const xTitle = svg("text", { x: width - PAD.right, y: HEIGHT - 2, "text-anchor": "end", class: "plot-axis-title" });
    xTitle.textContent = this.data.xLabel;
    grid.append(xTitle, svg("line", { x1: PAD.left, x2: width - PAD.right, y1: HEIGHT - PAD.bottom, y2: HEIGHT - PAD.bottom, class: "plot-axis" }));
    root.append(grid);

    for (const s of series) {
      const valid = s.points.filter((p) => p.y !== null && Number.isFinite(p.y));
      if (s.band) {
        const banded = valid.filter((p) => typeof p.lo === "number" && typeof p.hi === "number");
        if (banded.length) {
          const upper = banded.map((p) => `${toX(p.x).toFixed(1)},${toY(/** @type {number} */ (p.hi)).toFixed(1)}`);
          const lower = banded.map((p) => `${toX(p.x).toFixed(1)},${toY(/** @type {number} */ (p.lo)).toFixed(1)}`).reverse();
          root.append(svg("path", {
            d: `M${upper.join("L")}L${lower.join("L")}Z`, class: "band", fill: s.color, "fill-opacity": 0.16, stroke: "none",
            "data-series": s.id,
          }));
        }
      }
    }
    for (const b of baselines) {
      const line = svg("line", {
        x1: PAD.left, x2: width - PAD.right, y1: toY(b.y), y2: toY(b.y), class: "baseline", stroke: b.color || "#5d6b82",
        "stroke-width": 1.5, "stroke-dasharray": "6 4", "data-baseline": b.id,
      });
      const label = svg("text", { x: width - PAD.right - 4, y: toY(b.y) - 4, "text-anchor": "end", class: "plot-baseline-label" });
      label.textContent = `${b.label} ${yFormat(b.y)}`;
      root.append(line, label);
    }
    for (const s of series) {
      const valid = s.points.filter((p) => p.y !== null && Number.isFinite(p.y));
      if (!valid.length) continue;
      const d = valid.map((p, i) => `${i ? "L" : "M"}${toX(p.x).toFixed(1)},${toY(/** @type {number} */ (p.y)).toFixed(1)}`).join("");
      root.append(svg("path", {
        d: valid.length === 1 ? `${d}l0.01,0` : d, class: "curve", fill: "none", stroke: s.color, "stroke-width": 2,
        "stroke-linejoin": "round", "stroke-linecap": "round",
        "data-series": s.id, "data-first-x": valid[0].x, "data-points": valid.length,
        "data-first-y": /** @type {number} */ (valid[0].y),
      }));
      for (const p of valid) {
        if (!p.cut) continue;
        root.append(svg("circle", {
          cx: toX(p.x), cy: toY(/** @type {number} */ (p.y)), r: 3.5, class: "cut", fill: "#fff", stroke: s.color, "stroke-width": 1.5,
          "data-series": s.id,
        }));
      }
    }
    this.cursor = svg("line", { x1: 0, x2: 0, y1: PAD.top, y2: HEIGHT - PAD.bottom, class: "plot-cursor", visibility: "hidden" });
    root.append(this.cursor);
    this.svgBox.replaceChildren(root);
    this.renderLegend();
  }

  renderLegend() {
    const { series, baselines = [], bandLabel } = this.data;
    const cut = series.some((s) => s.points.some((p) => p.cut));
    /** @type {(HTMLElement | null)[]} */
    const keys = [
      ...series.map((s) => el("span", { className: "plot-key", dataset: { series: s.id } },
        el("i", { className: "plot-swatch", style: `background:${s.color}` }), s.label)),
      ...baselines.map((b) => el("span", { className: "plot-key", dataset: { baseline: b.id } },
        el("i", { className: "plot-swatch dashed", style: `color:${b.color || "#5d6b82"}` }), `${b.label} policy (dashed)`)),
      bandLabel && series.some((s) => s.band) ? el("span", { className: "plot-key muted", text: `band: ${bandLabel}` }) : null,
      cut ? el("span", { className: "plot-key" }, el("i", { className: "plot-swatch hollow" }), "episode cut short by a reset") : null,
    ];
    this.legend.replaceChildren(...keys.filter((k) => k !== null));
  }

  /** @param {MouseEvent} event */
  hover(event) {
    const { series } = this.data;
    if (!this.fromX || !this.toX || !this.cursor) return;
    const rect = this.svgBox.getBoundingClientRect();
    const px = event.clientX - rect.left;
    const x = this.fromX(px);
    /** @type {Point[]} */
    const all = series.flatMap((s) => s.points.filter((p) => p.y !== null));
    if (!all.length) return;
    const xFormat = this.data.xFormat || compact;
    const yFormat = this.data.yFormat || compact;
    const rows = [];
    let at = null;
    for (const s of series) {
      const valid = s.points.filter((p) => p.y !== null);
      if (!valid.length) continue;
      const p = valid[nearest(valid, x)];
      if (at === null || Math.abs(p.x - x) < Math.abs(at - x)) at = p.x;
      const band = typeof p.lo === "number" && typeof p.hi === "number" ? ` (${yFormat(p.lo)}–${yFormat(p.hi)})` : "";
      rows.push(el("div", {}, el("i", { className: "plot-swatch", style: `background:${s.color}` }),
        `${s.label}: ${yFormat(/** @type {number} */ (p.y))}${band}${p.cut ? " · reset" : ""}`));
    }
    if (at === null) return;
    const cx = this.toX(at);
    this.cursor.setAttribute("x1", String(cx));
    this.cursor.setAttribute("x2", String(cx));
    this.cursor.setAttribute("visibility", "visible");
    this.tip.replaceChildren(el("div", { className: "plot-tip-x", text: `${this.data.xLabel} ${xFormat(at)}` }), ...rows);
    this.tip.hidden = false;
    const left = cx + 12 + 180 > this.width ? Math.max(0, cx - 12 - this.tip.offsetWidth) : cx + 12;
    this.tip.style.left = `${left}px`;
    this.tip.style.top = `${PAD.top}px`;
  }

  unhover() {
    this.tip.hidden = true;
    this.cursor?.setAttribute("visibility", "hidden");
  }

  /** The data table: one row per x, one column per curve (and its band). */
  renderTable() {
    const { series, xLabel, bandLabel } = this.data;
    const xFormat = this.data.xFormat || compact;
    const yFormat = this.data.yFormat || compact;
    /** @type {Map<number, Map<string, Point>>} */
    const rows = new Map();
    for (const s of series) {
      for (const p of s.points) {
        if (p.y === null) continue;
        if (!rows.has(p.x)) rows.set(p.x, new Map());
        rows.get(p.x)?.set(s.id, p);
      }
    }
    const xs = [...rows.keys()].sort((a, b) => a - b);
    const banded = series.some((s) => s.band);
    this.table.replaceChildren(
      el("caption", { text: `${this.title}: ${xs.length} point${xs.length === 1 ? "" : "s"}${banded && bandLabel ? ` (band: ${bandLabel})` : ""}` }),
      el("thead", {}, el("tr", {}, el("th", { scope: "col", text: xLabel }),
        ...series.map((s) => el("th", { scope: "col", text: s.label })))),
      el("tbody", {}, ...xs.map((x) => el("tr", {}, el("th", { scope: "row", text: xFormat(x) }),
        ...series.map((s) => {
          const p = rows.get(x)?.get(s.id);
          if (!p || p.y === null) return el("td", { text: "–" });
          const band = typeof p.lo === "number" && typeof p.hi === "number" ? ` (${yFormat(p.lo)} to ${yFormat(p.hi)})` : "";
          return el("td", { className: "num", text: `${yFormat(p.y)}${band}${p.cut ? ", reset" : ""}` });
        })))),
    );
  }
}
