// @ts-check
// Live training charts (uPlot, vendored): return and products per episode, losses, entropy.
// Fed from `metrics` events and the `metrics_history` ack; at most MAX_EPISODES points.

/** @import { Figures } from "./common.js" */
/**
 * A chart: its box's id, its two series (the figure's key, on its own scale) and their axes.
 * @typedef {{ box: string, series: { key: string, label: string, stroke: string, scale: string }[],
 *   axes: { scale: string, side?: 0 | 1 | 2 | 3 }[] }} ChartSpec
 */

const MAX_EPISODES = 300;
const HEIGHT = 180;

/** @type {ChartSpec[]} */
const SPECS = [
  {
    box: "chart-return",
    series: [
      { key: "return", label: "return", stroke: "#2f6bff", scale: "y" },
      { key: "products", label: "products", stroke: "#f59e0b", scale: "p" },
    ],
    axes: [{ scale: "y" }, { scale: "p", side: 1 }],
  },
  {
    box: "chart-loss",
    series: [
      { key: "policy_loss", label: "policy", stroke: "#7c3aed", scale: "y" },
      { key: "value_loss", label: "value", stroke: "#0891b2", scale: "v" },
    ],
    axes: [{ scale: "y" }, { scale: "v", side: 1 }],
  },
  {
    box: "chart-entropy",
    series: [
      { key: "entropy", label: "entropy", stroke: "#16a34a", scale: "y" },
      { key: "approx_kl", label: "KL", stroke: "#db2777", scale: "k" },
    ],
    axes: [{ scale: "y" }, { scale: "k", side: 1 }],
  },
];

/** @param {unknown} value */
function num(value) {
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

export class Charts {
  constructor() {
    /** @type {Figures[]} figures objects, by episode */
    this.episodes = [];
    /** @type {{ spec: ChartSpec, plot: uPlot, box: HTMLElement, empty: HTMLElement }[]} */
    this.plots = [];
    this.pending = false;
    if (typeof window.uPlot !== "function") return;
    for (const spec of SPECS) {
      const box = document.getElementById(spec.box);
      if (!box) continue;
      /** @type {uPlot.Options} */
      const opts = {
        width: Math.max(200, box.clientWidth),
        height: HEIGHT,
        legend: { show: true, live: false },
        cursor: { drag: { x: false, y: false } },
        scales: { x: { time: false } },
        series: [
          { label: "episode" },
          ...spec.series.map((s) => ({ label: s.label, stroke: s.stroke, width: 2, scale: s.scale, spanGaps: true,
            points: { show: true, size: 4 } })),
        ],
        axes: [
          { stroke: "#5d6b82", grid: { stroke: "#eef1f6" }, size: 32 },
          ...spec.axes.map((a, i) => ({
            scale: a.scale, side: a.side ?? 3, stroke: spec.series[i].stroke,
            grid: { show: i === 0, stroke: "#eef1f6" }, size: 56,
          })),
        ],
      };
      const plot = new window.uPlot(opts, this._data(spec), box);
      const empty = document.createElement("p");
      empty.className = "chart-empty";
      empty.textContent = "Fills in as episodes end.";
      box.append(empty);
      this.plots.push({ spec, plot, box, empty });
    }
    const observer = new ResizeObserver(() => this.resize());
    for (const { box } of this.plots) observer.observe(box);
  }

  /** @param {ChartSpec} spec @returns {uPlot.AlignedData} */
  _data(spec) {
    const xs = this.episodes.map((e) => e.episode);
    return [xs, ...spec.series.map((s) => this.episodes.map((e) => num(e[s.key])))];
  }

  resize() {
    for (const { plot, box } of this.plots) {
      const width = Math.max(200, box.clientWidth);
      if (Math.abs(plot.width - width) > 1) plot.setSize({ width, height: HEIGHT });
    }
  }

  /** Replace everything (metrics_history). @param {Figures[]} episodes */
  setHistory(episodes) {
    this.episodes = [];
    for (const figures of episodes) this._put(figures);
    this._schedule();
  }

  /** One `metrics` event. @param {Figures} figures */
  add(figures) {
    this._put(figures);
    this._schedule();
  }

  /** @param {Figures} figures */
  _put(figures) {
    if (!figures || typeof figures.episode !== "number") return;
    const at = this.episodes.findIndex((e) => e.episode >= figures.episode);
    if (at === -1) this.episodes.push(figures);
    else if (this.episodes[at].episode === figures.episode) this.episodes[at] = figures;
    else this.episodes.splice(at, 0, figures);
    if (this.episodes.length > MAX_EPISODES) this.episodes.splice(0, this.episodes.length - MAX_EPISODES);
  }

  _schedule() {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      for (const { spec, plot, empty } of this.plots) {
        plot.setData(this._data(spec));
        empty.hidden = this.episodes.length > 0;
      }
      const note = document.getElementById("charts-note");
      if (note) {
        note.textContent = this.episodes.length
          ? `${this.episodes.length} episode${this.episodes.length === 1 ? "" : "s"}`
          : "no finished episode yet (an episode is 500 ticks; turbo gets there fast)";
      }
    });
  }

  get count() {
    return this.episodes.length;
  }
}
