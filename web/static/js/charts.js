// @ts-check
// The room page's charts: the return per agent and the products per episode as learning curves
// (curves.js: smoothing, the x axis, baselines, resets marked, hover, a data table), and the
// training figures (uPlot, vendored): losses, entropy and KL, for learning rooms only, each with
// a data table behind it. Fed with the room's whole episode history (room_history.js) and then
// live `metrics` and `game_ended` events, one entry per episode number (a figure given twice is
// merged, never drawn twice); long histories are drawn downsampled to MAX_POINTS points. The
// charts' section says how many episodes it holds and draws in `data-episodes` and `data-points`.

import { el } from "./common.js";
import { CurveCharts, PALETTE } from "./curves.js";
import { compact } from "./plot.js";
import { MAX_POINTS, downsample } from "./room_history.js";

/** @import { Figures } from "./common.js" */
/** @import { Baselines } from "./curves.js" */
/**
 * A chart: its box's id, its two series (the figure's key, on its own scale) and their axes.
 * @typedef {{ box: string, series: { key: string, label: string, stroke: string, scale: string }[],
 *   axes: { scale: string, side?: 0 | 1 | 2 | 3 }[] }} ChartSpec
 */

/**
 * A drawn training chart, its "nothing yet" note and its data table (in a <details>).
 * @typedef {{ spec: ChartSpec, plot: uPlot, box: HTMLElement, empty: HTMLElement,
 *   details: HTMLDetailsElement, table: HTMLTableElement }} TrainingChart
 */

const HEIGHT = 180;

// Series colours double as their axes' label colours (canvas text): each is at least 4.5:1 on white.
/** @type {ChartSpec[]} */
const SPECS = [
  {
    box: "chart-loss",
    series: [
      { key: "policy_loss", label: "policy", stroke: "#7c3aed", scale: "y" },
      { key: "value_loss", label: "value", stroke: "#0e7490", scale: "v" },
    ],
    axes: [{ scale: "y" }, { scale: "v", side: 1 }],
  },
  {
    box: "chart-entropy",
    series: [
      { key: "entropy", label: "entropy", stroke: "#15803d", scale: "y" },
      { key: "approx_kl", label: "KL", stroke: "#be185d", scale: "k" },
    ],
    axes: [{ scale: "y" }, { scale: "k", side: 1 }],
  },
];

/** @param {unknown} value */
function num(value) {
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

/** Every figure the charts draw. */
const KEYS = ["return", "products", ...SPECS.flatMap((spec) => spec.series.map((s) => s.key))];

export class Charts {
  /** @param {string} room the page's room (the curve's name) */
  constructor(room = "") {
    this.room = room;
    /** agents of the room: the return per agent of rooms that do not learn is their total reward ÷ agents */
    this.agents = 1;
    const curvesBox = document.getElementById("curves");
    /** @type {CurveCharts | null} the return's and the products' charts */
    this.curves = curvesBox ? new CurveCharts(curvesBox) : null;
    /** @type {Figures[]} every episode's figures, in episode order, one per episode */
    this.episodes = [];
    /** @type {Figures[]} what the charts draw: the episodes, downsampled when many */
    this.points = [];
    /** @type {TrainingChart[]} */
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
      const empty = el("p", { className: "chart-empty", text: "Fills in as episodes end." });
      // The figures behind the canvas for screen readers, as curves.js's charts have: drawn when opened.
      const table = el("table", { className: "plot-table" });
      const details = el("details", { className: "plot-data" }, el("summary", { text: "Data" }), table);
      const chart = { spec, plot, box, empty, details, table };
      details.addEventListener("toggle", () => details.open && this._table(chart));
      box.append(empty);
      box.after(details);
      this.plots.push(chart);
    }
    const observer = new ResizeObserver(() => this.resize());
    for (const { box } of this.plots) observer.observe(box);
  }

  /** The training figures' charts (losses, entropy, KL) show only for a room that learns (its
   * RoomInfo's policy); the page starts with them hidden. @param {boolean} learns */
  setLearns(learns) {
    const training = document.querySelector(".charts-training");
    if (!(training instanceof HTMLElement) || training.hidden === !learns) return;
    training.hidden = !learns;
    if (learns) requestAnimationFrame(() => this.resize());
  }

  /** @param {number} agents */
  setAgents(agents) {
    if (agents > 0 && agents !== this.agents) {
      this.agents = agents;
      this._schedule();
    }
  }

  /** The scripted and the random policy on the room's world: dashed lines. @param {Baselines} values */
  setBaselines(values) {
    this.curves?.setBaselines([{ label: this.room, agents: this.agents, values }]);
  }

  /** @param {ChartSpec} spec @returns {uPlot.AlignedData} */
  _data(spec) {
    const xs = this.points.map((e) => e.episode);
    return [xs, ...spec.series.map((s) => this.points.map((e) => num(e[s.key])))];
  }

  /** A chart's data table: one row per episode drawn, one column per figure. @param {TrainingChart} chart */
  _table(chart) {
    const { spec } = chart;
    const title = chart.box.closest(".chart")?.querySelector("h3")?.firstChild?.textContent?.trim() || spec.box;
    const cell = (/** @type {number | null} */ v) => el("td", { className: "num", text: v === null ? "–" : compact(v) });
    chart.table.replaceChildren(
      el("caption", { text: `${title}: ${this.points.length} episode${this.points.length === 1 ? "" : "s"}` }),
      el("thead", {}, el("tr", {}, el("th", { scope: "col", text: "episode" }),
        ...spec.series.map((s) => el("th", { scope: "col", text: s.label })))),
      el("tbody", {}, ...this.points.map((e) => el("tr", {}, el("th", { scope: "row", text: String(e.episode) }),
        ...spec.series.map((s) => cell(num(e[s.key])))))),
    );
  }

  resize() {
    for (const { plot, box } of this.plots) {
      const width = Math.max(200, box.clientWidth);
      if (Math.abs(plot.width - width) > 1) plot.setSize({ width, height: HEIGHT });
    }
  }

  /** The room's history (the episodes API): merged with what live events brought meanwhile.
   * @param {Figures[]} episodes */
  setHistory(episodes) {
    for (const figures of episodes) this._put(figures);
    this._schedule();
  }

  /** One `metrics` event. @param {Figures} figures */
  add(figures) {
    this._put(figures);
    this._schedule();
  }

  /** An episode's figures: a new entry in episode order, or merged into its entry. @param {Figures} figures */
  _put(figures) {
    if (!figures || typeof figures.episode !== "number") return;
    const list = this.episodes;
    const last = list.length ? list[list.length - 1].episode : -Infinity;
    if (figures.episode > last) {
      list.push({ ...figures });
      return;
    }
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid].episode < figures.episode) lo = mid + 1;
      else hi = mid;
    }
    if (list[lo].episode === figures.episode) Object.assign(list[lo], figures);
    else list.splice(lo, 0, { ...figures });
  }

  _schedule() {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      this.points = downsample(this.episodes, KEYS, MAX_POINTS);
      this.curves?.set([{ id: "room", label: this.room || "this room", color: PALETTE[0], runs: [{ rows: this.episodes, agents: this.agents }] }]);
      const section = document.getElementById("charts");
      if (section) {
        section.dataset.episodes = String(this.episodes.length);
        section.dataset.points = String(this.points.length);
      }
      for (const chart of this.plots) {
        chart.plot.setData(this._data(chart.spec));
        chart.empty.hidden = this.episodes.length > 0;
        if (chart.details.open) this._table(chart);
      }
      const note = document.getElementById("charts-note");
      if (note) {
        const drawn = this.points.length < this.episodes.length ? `, drawn as ${this.points.length} points` : "";
        note.textContent = this.episodes.length
          ? `${this.episodes.length} episode${this.episodes.length === 1 ? "" : "s"}${drawn}`
          : "no finished episode yet (an episode is 500 ticks; turbo gets there fast)";
      }
    });
  }

  get count() {
    return this.episodes.length;
  }
}
