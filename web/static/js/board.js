// @ts-check
// The grid on a canvas. draw(state) repaints only the cells whose look changed since the last
// draw (a cell's value, or an agent arriving, leaving or changing on it); a resize repaints all.
// The overlay canvas above it holds the inspected agent's field of view.

/** @import { AgentState, Snapshot } from "./common.js" */
/** @typedef {{ bg: string, mark?: undefined } | { bg: string, mark: "resource" | "factory" | "charger", color: string }} CellStyle */

export const AGENT_COLORS = ["#e11d48", "#7c3aed", "#0891b2", "#16a34a", "#ea580c", "#c026d3", "#2563eb", "#854d0e"];

/** @type {Record<string, CellStyle>} */
const CELL_STYLE = {
  empty: { bg: "#f3f5f9" },
  wall: { bg: "#374151" },
  resource: { bg: "#f3f5f9", mark: "resource", color: "#16a34a" },
  factory: { bg: "#fde7c8", mark: "factory", color: "#c2410c" },
  charger: { bg: "#dbeafe", mark: "charger", color: "#0284c7" },
};
const GRID_LINE = "#dfe4ec";

/** @param {number} id */
export function agentColor(id) {
  return AGENT_COLORS[((id % AGENT_COLORS.length) + AGENT_COLORS.length) % AGENT_COLORS.length];
}

/** @param {string | number} value @returns {CellStyle} */
function fallbackStyle(value) {
  const hue = (Number(value) * 67) % 360;
  return { bg: `hsl(${hue} 60% 85%)` };
}

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
    this.sizeChanged = true;
    this.cellsRepainted = 0;
    /** @type {(() => void) | undefined} called when the board's box changes size */
    this.onResize = undefined;
    new ResizeObserver(() => { this.sizeChanged = true; this.onResize?.(); }).observe(wrap);
  }

  /**
   * The cell under a client point, or null.
   * @param {number} clientX
   * @param {number} clientY
   */
  cellAt(clientX, clientY) {
    if (!this.width) return null;
    const rect = this.canvas.getBoundingClientRect();
    const x = Math.floor(((clientX - rect.left) / rect.width) * this.width);
    const y = Math.floor(((clientY - rect.top) / rect.height) * this.height);
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return null;
    return { x, y };
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
            key += `|${a.id},${Math.round(a.energy / 5)},${a.carrying}`;
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
    const name = this.legend[String(value)];
    const style = CELL_STYLE[name] || fallbackStyle(value);
    const gap = w > 10 ? 1 : 0;
    ctx.fillStyle = GRID_LINE;
    ctx.fillRect(x0, y0, w, h);
    ctx.fillStyle = style.bg;
    ctx.fillRect(x0, y0, w - gap, h - gap);
    const cw = w - gap;
    const ch = h - gap;
    const cx = x0 + cw / 2;
    const cy = y0 + ch / 2;
    const s = Math.min(cw, ch);
    if (style.mark === "resource") {
      ctx.fillStyle = style.color;
      ctx.beginPath();
      ctx.moveTo(cx, cy - s * 0.3);
      ctx.lineTo(cx + s * 0.22, cy);
      ctx.lineTo(cx, cy + s * 0.3);
      ctx.lineTo(cx - s * 0.22, cy);
      ctx.closePath();
      ctx.fill();
    } else if (style.mark === "factory") {
      ctx.fillStyle = style.color;
      const bw = s * 0.64;
      const bh = s * 0.36;
      const bx = cx - bw / 2;
      const by = cy - bh / 2 + s * 0.1;
      ctx.fillRect(bx, by, bw, bh);
      ctx.beginPath(); // saw-tooth roof
      ctx.moveTo(bx, by);
      ctx.lineTo(bx + bw * 0.33, by - s * 0.16);
      ctx.lineTo(bx + bw * 0.33, by);
      ctx.lineTo(bx + bw * 0.66, by - s * 0.16);
      ctx.lineTo(bx + bw * 0.66, by);
      ctx.lineTo(bx + bw, by - s * 0.16);
      ctx.lineTo(bx + bw, by);
      ctx.closePath();
      ctx.fill();
    } else if (style.mark === "charger") {
      ctx.fillStyle = style.color;
      ctx.beginPath(); // lightning bolt
      ctx.moveTo(cx + s * 0.06, cy - s * 0.34);
      ctx.lineTo(cx - s * 0.18, cy + s * 0.04);
      ctx.lineTo(cx - s * 0.01, cy + s * 0.04);
      ctx.lineTo(cx - s * 0.08, cy + s * 0.34);
      ctx.lineTo(cx + s * 0.18, cy - s * 0.06);
      ctx.lineTo(cx + s * 0.01, cy - s * 0.06);
      ctx.closePath();
      ctx.fill();
    }
    if (agents) {
      agents.forEach((agent, i) => this._paintAgent(agent, x0, y0, cw, ch, i, agents.length));
    }
  }

  /**
   * @param {AgentState} agent
   * @param {number} x0 @param {number} y0 @param {number} w @param {number} h the cell's box
   * @param {number} i @param {number} n the agent's place among the n on the cell
   */
  _paintAgent(agent, x0, y0, w, h, i, n) {
    const ctx = this.ctx;
    const s = Math.min(w, h);
    const shift = n > 1 ? (i - (n - 1) / 2) * s * 0.18 : 0;
    const cx = x0 + w / 2 + shift;
    const cy = y0 + h * 0.44;
    const r = s * 0.31;
    ctx.fillStyle = agentColor(agent.id);
    ctx.strokeStyle = "#ffffff";
    ctx.lineWidth = Math.max(1, s * 0.06);
    ctx.beginPath();
    ctx.arc(cx, cy, r, 0, Math.PI * 2);
    ctx.fill();
    ctx.stroke();
    if (s >= 16) {
      ctx.fillStyle = "#ffffff";
      ctx.font = `700 ${Math.round(s * 0.34)}px system-ui, sans-serif`;
      ctx.textAlign = "center";
      ctx.textBaseline = "middle";
      ctx.fillText(String(agent.id), cx, cy + s * 0.02);
    }
    // carrying: one small dark square per carried resource, top right
    const carried = Math.min(agent.carrying || 0, 4);
    for (let k = 0; k < carried; k++) {
      const d = Math.max(3, s * 0.17);
      ctx.fillStyle = "#111827";
      ctx.fillRect(x0 + w - d - 1 - k * (d + 1), y0 + 1, d, d);
      ctx.fillStyle = "#22c55e";
      ctx.fillRect(x0 + w - d - k * (d + 1), y0 + 2, d - 2, d - 2);
    }
    // energy bar along the bottom
    const energy = Math.max(0, Math.min(1, (agent.energy || 0) / 100));
    const bh = Math.max(2, Math.round(s * 0.11));
    const by = y0 + h - bh - 1;
    const bx = x0 + 2;
    const bw = w - 4;
    ctx.fillStyle = "rgba(17,24,39,.25)";
    ctx.fillRect(bx, by, bw, bh);
    ctx.fillStyle = energy > 0.5 ? "#16a34a" : energy > 0.2 ? "#f59e0b" : "#dc2626";
    ctx.fillRect(bx, by, Math.round(bw * energy), bh);
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
    const key = agent ? `${agent.x},${agent.y},${r},${this.px}` : `none,${this.px}`;
    if (key === this.overlayKey) return;
    this.overlayKey = key;
    const ctx = this.octx;
    ctx.clearRect(0, 0, this.px, this.px);
    if (!agent) return;
    const x1 = Math.max(0, agent.x - r);
    const y1 = Math.max(0, agent.y - r);
    const x2 = Math.min(this.width - 1, agent.x + r);
    const y2 = Math.min(this.height - 1, agent.y + r);
    const [ax, ay] = this._rect(x1, y1);
    const [bx, by, bw, bh] = this._rect(x2, y2);
    // dim what the agent cannot see
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

/** @param {Record<string, string> | undefined} legend */
export function legendEntries(legend) {
  return Object.entries(legend || {}).map(([value, name]) => {
    const style = CELL_STYLE[name] || fallbackStyle(value);
    return { value, name, color: style.mark ? style.color : style.bg };
  });
}
