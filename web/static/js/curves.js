// @ts-check
// Learning curves for the room, sweep and compare pages: the return per agent and the products
// per episode on two separate charts (plot.js), with the controls every page shares: smoothing
// (an exponential moving average, weight 0 = off) and the x axis (episodes, agent-steps or wall
// time). A source is one curve: one run (a room) drawn as it is, or several (a grid point's
// seeds) drawn as their mean with a min-max band. Dashed lines show the scripted (heuristic) and
// the random policy on the same world (GET /api/rooms/<name>/baselines). Episodes cut short by
// a reset are hollow points. Each curve is drawn as at most MAX_POINTS points (bucket means).

import { el, getJson } from "./common.js";
import { LinePlot, compact } from "./plot.js";
import { MAX_POINTS, downsample } from "./room_history.js";

/** @import { Figures } from "./common.js" */
/** @import { Baseline, Point, Series } from "./plot.js" */
/**
 * One run: a room's episodes (in episode order) and its agent count.
 * @typedef {{ rows: Figures[], agents: number }} Run
 * @typedef {{ id: string, label: string, color: string, runs: Run[] }} Source
 * @typedef {{ products_created?: number, total_reward?: number, return?: number, episodes?: number }} BaselineFigures
 * @typedef {{ heuristic?: BaselineFigures, random?: BaselineFigures }} Baselines
 * @typedef {{ label: string, agents: number, values: Baselines }} BaselineSet  baselines of one world config
 * @typedef {"episodes" | "agent_steps" | "wall"} Axis
 */

/** Distinct colours for curves (rooms or grid points), in order. */
export const PALETTE = ["#2f6bff", "#e4572e", "#17a37a", "#9b5de5", "#f59e0b", "#0891b2", "#db2777", "#65a30d",
  "#7c3aed", "#b45309", "#0f766e", "#be123c"];

/** @type {Record<Axis, string>} */
export const AXIS_LABELS = { episodes: "episode", agent_steps: "agent-steps", wall: "wall time (m:ss)" };

/** The charts' figures: how each row gives it and how the baselines do. */
const FIGURES = [
  {
    id: "return",
    title: "Return per agent",
    note: "mean return per agent per episode (rooms that do not learn: total reward ÷ agents)",
    /** @param {Figures} row @param {number} agents */
    of: (row, agents) => (finite(row.return) ? /** @type {number} */ (row.return)
      : finite(row.total_reward) ? /** @type {number} */ (row.total_reward) / Math.max(1, agents) : null),
    /** @param {BaselineFigures} b @param {number} agents */
    baseline: (b, agents) => (finite(b.return) ? /** @type {number} */ (b.return)
      : finite(b.total_reward) ? /** @type {number} */ (b.total_reward) / Math.max(1, agents) : null),
  },
  {
    id: "products",
    title: "Products per episode",
    note: "products made in the episode",
    /** @param {Figures} row */
    of: (row) => (finite(row.products) ? /** @type {number} */ (row.products)
      : finite(row.products_created) ? /** @type {number} */ (row.products_created) : null),
    /** @param {BaselineFigures} b */
    baseline: (b) => (finite(b.products_created) ? /** @type {number} */ (b.products_created) : null),
  },
];

/** @param {unknown} value @returns {boolean} */
function finite(value) {
  return typeof value === "number" && Number.isFinite(value);
}

/**
 * A row's x on the axis: its episode, the room's agent-steps at its end, or minutes since
 * `t0` (the room's first finished episode's end).
 * @param {Figures} row @param {Axis} axis @param {number} t0
 * @returns {number | null}
 */
export function xOf(row, axis, t0) {
  if (axis === "episodes") return row.episode;
  if (axis === "agent_steps") return finite(row.agent_steps) ? /** @type {number} */ (row.agent_steps) : null;
  const at = typeof row.ended_at === "string" ? Date.parse(row.ended_at) : NaN;
  return Number.isFinite(at) && Number.isFinite(t0) ? (at - t0) / 60000 : null;
}

/**
 * An exponential moving average with TensorBoard's debiasing; weight 0 leaves the values as
 * they are. Nulls stay null and do not move the average.
 * @param {(number | null)[]} values @param {number} weight in [0, 1)
 * @returns {(number | null)[]}
 */
export function ema(values, weight) {
  if (!(weight > 0)) return values;
  let last = 0;
  let n = 0;
  return values.map((v) => {
    if (v === null) return null;
    last = last * weight + (1 - weight) * v;
    n++;
    return last / (1 - weight ** n);
  });
}

/**
 * One run's curve of a figure: a point per episode (x on the axis, y smoothed), in episode order.
 * @param {Run} run @param {typeof FIGURES[number]} figure @param {Axis} axis @param {number} smoothing
 * @returns {{ episode: number, x: number | null, y: number | null, cut: number }[]}
 */
function runCurve(run, figure, axis, smoothing) {
  const first = run.rows.find((r) => typeof r.ended_at === "string");
  const t0 = first ? Date.parse(String(first.ended_at)) : NaN;
  const ys = ema(run.rows.map((r) => figure.of(r, run.agents)), smoothing);
  return run.rows.map((r, i) => ({ episode: r.episode, x: xOf(r, axis, t0), y: ys[i], cut: r.reason === "reset" ? 1 : 0 }));
}

/**
 * A source's points on one chart: its run as it is, or its runs' mean with the min and max of
 * each episode index that every run reached; downsampled to MAX_POINTS.
 * @param {Source} source @param {typeof FIGURES[number]} figure @param {Axis} axis @param {number} smoothing
 * @returns {Point[]}
 */
export function sourcePoints(source, figure, axis, smoothing) {
  const curves = source.runs.map((run) => runCurve(run, figure, axis, smoothing));
  /** @type {Figures[]} */
  const rows = [];
  if (curves.length === 1) {
    for (const p of curves[0]) if (p.x !== null && p.y !== null) rows.push({ episode: p.episode, x: p.x, y: p.y, cut: p.cut });
  } else if (curves.length > 1) {
    const reached = Math.min(...curves.map((c) => c.length));
    for (let i = 0; i < reached; i++) {
      const at = curves.map((c) => c[i]);
      if (at.some((p) => p.x === null || p.y === null)) continue;
      const ys = at.map((p) => /** @type {number} */ (p.y));
      rows.push({
        episode: at[0].episode,
        x: at.reduce((s, p) => s + /** @type {number} */ (p.x), 0) / at.length,
        y: ys.reduce((s, y) => s + y, 0) / ys.length,
        lo: Math.min(...ys),
        hi: Math.max(...ys),
        cut: Math.max(...at.map((p) => p.cut)),
      });
    }
  }
  const keys = curves.length > 1 ? ["x", "y", "lo", "hi", "cut"] : ["x", "y", "cut"];
  return downsample(rows, keys, MAX_POINTS).map((r) => ({
    x: /** @type {number} */ (r.x),
    y: /** @type {number | null} */ (r.y),
    lo: curves.length > 1 ? /** @type {number | null} */ (r.lo) : undefined,
    hi: curves.length > 1 ? /** @type {number | null} */ (r.hi) : undefined,
    cut: /** @type {number} */ (r.cut) > 0,
  }));
}

/**
 * The baselines of a room's world config and agent count; null when they are not there (the
 * server computes them once per config; the first request may take a few seconds).
 * @param {string} room
 * @returns {Promise<Baselines | null>}
 */
export async function fetchBaselines(room) {
  const body = await getJson(`/api/rooms/${encodeURIComponent(room)}/baselines`);
  return body && typeof body === "object" ? /** @type {Baselines} */ (body) : null;
}

/** A minutes figure as m:ss. @param {number} minutes */
function minutesLabel(minutes) {
  const seconds = Math.round(minutes * 60);
  const sign = seconds < 0 ? "-" : "";
  const s = Math.abs(seconds);
  return `${sign}${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

/**
 * The two charts and their controls in `container`: smoothing, the x axis, then the return's
 * chart and the products' chart. `set()` gives the curves, `setBaselines()` the dashed lines.
 */
export class CurveCharts {
  /**
   * @param {HTMLElement} container
   * @param {{ bandLabel?: string, id?: string }} [options] `id` prefixes the elements' ids
   */
  constructor(container, options = {}) {
    const id = options.id || "curves";
    this.bandLabel = options.bandLabel || "";
    /** @type {Source[]} */
    this.sources = [];
    /** @type {BaselineSet[]} */
    this.baselines = [];
    this.pending = false;
    this.smoothing = el("input", {
      type: "range", min: "0", max: "0.99", step: "0.01", value: "0", id: `${id}-smoothing`,
      "aria-describedby": `${id}-smoothing-out`,
    });
    this.smoothingOut = el("output", { id: `${id}-smoothing-out`, for: `${id}-smoothing`, text: "off" });
    this.axis = el("select", { id: `${id}-axis` },
      el("option", { value: "episodes", text: "episodes", selected: true }),
      el("option", { value: "agent_steps", text: "agent-steps" }),
      el("option", { value: "wall", text: "wall time" }));
    const controls = el("div", { className: "curve-controls", role: "group", "aria-label": "Chart controls" },
      el("label", { className: "small", for: `${id}-smoothing`, text: "Smoothing (EMA weight)" }), this.smoothing, this.smoothingOut,
      el("label", { className: "small", for: `${id}-axis`, text: "x axis" }), this.axis);
    /** @type {{ figure: typeof FIGURES[number], plot: LinePlot }[]} */
    this.plots = [];
    const boxes = FIGURES.map((figure) => {
      const box = el("div", { className: "chart-box", id: `${id}-${figure.id}`, dataset: { figure: figure.id } });
      this.plots.push({ figure, plot: new LinePlot(box, figure.title) });
      return el("div", { className: "chart" }, el("h3", { text: figure.title, title: figure.note }), box);
    });
    container.replaceChildren(controls, el("div", { className: "curve-charts" }, ...boxes));
    this.smoothing.addEventListener("input", () => {
      const w = Number(this.smoothing.value);
      this.smoothingOut.textContent = w > 0 ? w.toFixed(2) : "off";
      this.schedule();
    });
    this.axis.addEventListener("change", () => this.schedule());
  }

  /** @param {Source[]} sources */
  set(sources) {
    this.sources = sources;
    this.schedule();
  }

  /** @param {BaselineSet[]} sets */
  setBaselines(sets) {
    this.baselines = sets;
    this.schedule();
  }

  schedule() {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      this.draw();
    });
  }

  draw() {
    const axis = /** @type {Axis} */ (this.axis.value);
    const smoothing = Number(this.smoothing.value) || 0;
    const several = this.baselines.length > 1;
    for (const { figure, plot } of this.plots) {
      /** @type {Series[]} */
      const series = this.sources.map((source) => ({
        id: source.id,
        label: source.runs.length > 1 ? `${source.label} (mean of ${source.runs.length})` : source.label,
        color: source.color,
        band: source.runs.length > 1,
        points: sourcePoints(source, figure, axis, smoothing),
      }));
      /** @type {Baseline[]} */
      const baselines = [];
      for (const set of this.baselines) {
        for (const [kind, label, color] of [["heuristic", "scripted", "#475569"], ["random", "random", "#a3a3a3"]]) {
          const values = set.values[/** @type {"heuristic" | "random"} */ (kind)];
          const y = values ? figure.baseline(values, set.agents) : null;
          if (y === null) continue;
          baselines.push({ id: kind, label: several ? `${label} (${set.label})` : label, y, color });
        }
      }
      plot.set({
        series,
        baselines,
        xLabel: AXIS_LABELS[axis],
        xFormat: axis === "wall" ? minutesLabel : compact,
        xInteger: axis === "episodes",
        bandLabel: this.bandLabel,
      });
    }
  }
}
