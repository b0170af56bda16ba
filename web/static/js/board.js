// @ts-check
// The grid on a canvas. draw(state) repaints only the cells whose look changed since the last
// draw (a cell's value, or an agent arriving, leaving or changing on it); a resize repaints all.
// The overlay canvas above it holds the inspected agent's field of view and, with "Show goals",
// each agent's way to its goal (board_goals.js). What each thing looks like is in board_paint.js,
// which the legend draws its icons with too. A tap selects the nearest agent, so a finger need
// not hit its cell.

import { loadShowGoals, goalPaths, saveShowGoals } from "./board_goals.js";
import { GRID_LINE, agentColor, cellStyle, paintAgent, paintCell, paintGoal } from "./board_paint.js";

export { AGENT_COLORS, CELL_STYLE, OUT_OF_ENERGY_COLOR, agentColor } from "./board_paint.js";

/** @import { AgentState, Snapshot } from "./common.js" */
/**
 * What the board asks of the page: the state it shows, what to do with a tap (the nearest
 * agent's id, or null), and how to have itself drawn again.
 * @typedef {{ shown: () => Snapshot | null, tap: (id: number | null) => void, redraw: () => void }} BoardHooks
 */

/** How far from an agent's centre a tap still selects it, in cells. */
const TAP_REACH = 1.5;

export class Board {
  /**
   * @param {HTMLCanvasElement} canvas
   * @param {HTMLCanvasElement} overlay
   * @param {HTMLElement} wrap
   */
  constructor(canvas, overlay, wrap) {
    this.canvas = canvas;
    this.overlay = overlay;
    this.wrap = wrap;
    this.ctx = /** @type {CanvasRenderingContext2D} */ (canvas.getContext("2d", { alpha: false }));
    this.octx = /** @type {CanvasRenderingContext2D} */ (overlay.getContext("2d"));
    /** @type {(string | null)[] | null} per cell: the key of what is painted there */
    this.drawn = null;
    this.width = 0;
    this.height = 0;
    this.px = 0;
    /** @type {Record<string, string>} */
    this.legend = {};
    /** @type {number | null} */
    this.selected = null;
    /** @type {number | undefined} */
    this.viewRadius = undefined;
    this.overlayKey = "";
    /** whether each agent's way to its goal is drawn */
    this.showGoals = loadShowGoals();
    this.sizeChanged = true;
    this.cellsRepainted = 0;
    /** @type {(() => void) | undefined} called when the board's box changes size */
    this.onResize = undefined;
    new ResizeObserver(() => { this.sizeChanged = true; this.onResize?.(); }).observe(wrap);
  }

  /**
   * The agent of `agents` nearest a client point, within TAP_REACH cells of its centre, or null.
   * @param {number} clientX
   * @param {number} clientY
   * @param {AgentState[]} agents
   */
  agentNear(clientX, clientY, agents) {
    const rect = this.canvas.getBoundingClientRect();
    if (!this.width || !rect.width || !rect.height) return null;
    const x = ((clientX - rect.left) / rect.width) * this.width;
    const y = ((clientY - rect.top) / rect.height) * this.height;
    let nearest = null;
    let best = TAP_REACH;
    for (const agent of agents) {
      const away = Math.hypot(agent.x + 0.5 - x, agent.y + 0.5 - y);
      if (away <= best) {
        nearest = agent;
        best = away;
      }
    }
    return nearest;
  }

  /**
   * Listen to taps and clicks on the board (the nearest agent, or none) and to the "Show goals"
   * checkbox under it (#show-goals), which starts as this browser last left it.
   * @param {BoardHooks} hooks
   */
  listen(hooks) {
    this.overlay.addEventListener("click", (event) => {
      const state = hooks.shown(); // where the agents are drawn: the past tick's, when looking back
      if (!state) return;
      hooks.tap(this.agentNear(event.clientX, event.clientY, state.agents)?.id ?? null);
    });
    const toggle = /** @type {HTMLInputElement | null} */ (document.getElementById("show-goals"));
    if (!toggle) return;
    toggle.checked = this.showGoals;
    toggle.addEventListener("change", () => {
      this.showGoals = toggle.checked;
      saveShowGoals(this.showGoals);
      this.overlayKey = "";
      hooks.redraw();
    });
  }

  /** @param {Snapshot} state */
  _resize(state) {
    const dpr = window.devicePixelRatio || 1;
    const css = this.wrap.clientWidth || 400;
    const px = Math.max(1, Math.round(css * dpr));
    for (const c of [this.canvas, this.overlay]) {
      if (c.width !== px) c.width = px;
      if (c.height !== px) c.height = px;
    }
    this.px = px;
    this.width = state.width;
    this.height = state.height;
    this.drawn = new Array(state.width * state.height).fill(null);
    this.overlayKey = "";
    this.sizeChanged = false;
    const ctx = this.ctx;
    ctx.fillStyle = GRID_LINE;
    ctx.fillRect(0, 0, px, px);
  }

  /** @param {number} x @param {number} y @returns {[number, number, number, number]} */
  _rect(x, y) {
    const sx = this.px / this.width;
    const sy = this.px / this.height;
    const x0 = Math.round(x * sx);
    const y0 = Math.round(y * sy);
    return [x0, y0, Math.round((x + 1) * sx) - x0, Math.round((y + 1) * sy) - y0];
  }

  /**
   * Paint what changed in `state`; returns the number of cells repainted.
   * @param {Snapshot | null} state
   */
  draw(state) {
    if (!state) return 0;
    if (this.sizeChanged || state.width !== this.width || state.height !== this.height || !this.drawn) {
      this._resize(state);
    }
    this.legend = state.legend || {};
    const drawn = /** @type {(string | null)[]} */ (this.drawn);
    /** @type {Map<number, AgentState[]>} */
    const onCell = new Map();
    for (const agent of state.agents) {
      const index = agent.y * this.width + agent.x;
      const list = onCell.get(index);
      if (list) list.push(agent); else onCell.set(index, [agent]);
    }
    let painted = 0;
    for (let y = 0; y < this.height; y++) {
      const row = state.grid[y];
      for (let x = 0; x < this.width; x++) {
        const index = y * this.width + x;
        const agents = onCell.get(index);
        let key = String(row[x]);
        if (agents) {
          for (const a of agents) {
            // Energy in steps of 5 for the bar, but empty apart: that agent is drawn grey.
            key += `|${a.id},${a.energy > 0 ? Math.ceil(a.energy / 5) : "x"},${a.carrying}`;
          }
        }
        if (drawn[index] !== key) {
          this._paintCell(x, y, row[x], agents);
          drawn[index] = key;
          painted++;
        }
      }
    }
    this.cellsRepainted += painted;
    this._drawOverlay(state);
    return painted;
  }

  /** @param {number} x @param {number} y @param {number} value @param {AgentState[] | undefined} agents */
  _paintCell(x, y, value, agents) {
    const ctx = this.ctx;
    const [x0, y0, w, h] = this._rect(x, y);
    const gap = w > 10 ? 1 : 0;
    ctx.fillStyle = GRID_LINE;
    ctx.fillRect(x0, y0, w, h);
    /** @type {[number, number, number, number]} */
    const box = [x0, y0, w - gap, h - gap];
    paintCell(ctx, box, cellStyle(this.legend[String(value)], value));
    if (agents) agents.forEach((agent, i) => paintAgent(ctx, agent, box, i, agents.length));
  }

  /** Paint nothing: an empty, background-only board (a room that is gone). */
  clear() {
    const px = this.px || this.canvas.width;
    this.ctx.fillStyle = GRID_LINE;
    this.ctx.fillRect(0, 0, px, px);
    this.octx.clearRect(0, 0, px, px);
    this.drawn = null;
    this.overlayKey = "";
  }

  /** @param {number | null} agentId */
  select(agentId) {
    this.selected = agentId;
    this.overlayKey = "";
  }

  /** @param {number} radius */
  setViewRadius(radius) {
    if (this.viewRadius !== radius) {
      this.viewRadius = radius;
      this.overlayKey = "";
    }
  }

  /** @param {Snapshot} state */
  _drawOverlay(state) {
    const agent = this.selected === null ? null : state.agents.find((a) => a.id === this.selected);
    const r = this.viewRadius ?? 3;
    const paths = this.showGoals ? goalPaths(state) : null;
    let key = agent ? `${agent.x},${agent.y},${r},${this.px}` : `none,${this.px}`;
    if (paths) for (const [id, path] of paths) key += `|${id}:${path.join(";")}`;
    if (key === this.overlayKey) return;
    this.overlayKey = key;
    const ctx = this.octx;
    ctx.clearRect(0, 0, this.px, this.px);
    if (agent) this._drawView(agent, r);
    if (!paths) return;
    const s = this.px / Math.max(this.width, this.height);
    for (const [id, path] of paths) {
      paintGoal(ctx, path.map(([x, y]) => this._centre(x, y)), agentColor(id), s);
    }
  }

  /** @param {number} x @param {number} y @returns {[number, number]} a cell's centre */
  _centre(x, y) {
    const [x0, y0, w, h] = this._rect(x, y);
    return [x0 + w / 2, y0 + h / 2];
  }

  /**
   * The inspected agent's field of view: the rest dimmed, its edge dashed in the agent's colour.
   * @param {AgentState} agent @param {number} r the view's radius
   */
  _drawView(agent, r) {
    const ctx = this.octx;
    const x1 = Math.max(0, agent.x - r);
    const y1 = Math.max(0, agent.y - r);
    const x2 = Math.min(this.width - 1, agent.x + r);
    const y2 = Math.min(this.height - 1, agent.y + r);
    const [ax, ay] = this._rect(x1, y1);
    const [bx, by, bw, bh] = this._rect(x2, y2);
    ctx.fillStyle = "rgba(15, 23, 42, 0.13)";
    ctx.fillRect(0, 0, this.px, this.px);
    ctx.clearRect(ax, ay, bx + bw - ax, by + bh - ay);
    const lw = Math.max(2, this.px / 200);
    ctx.lineWidth = lw;
    ctx.strokeStyle = agentColor(agent.id);
    ctx.setLineDash([lw * 3, lw * 2]);
    ctx.strokeRect(ax + lw / 2, ay + lw / 2, bx + bw - ax - lw, by + bh - ay - lw);
    ctx.setLineDash([]);
    const [cx, cy, cw, ch] = this._rect(agent.x, agent.y);
    ctx.strokeStyle = "#111827";
    ctx.lineWidth = lw;
    ctx.strokeRect(cx + lw / 2, cy + lw / 2, cw - lw, ch - lw);
  }
}
