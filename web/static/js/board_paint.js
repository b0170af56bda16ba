// @ts-check
// How the board draws each thing, in one place: the cells, the agents (their colour, energy bar,
// what they carry, greyed out when their energy is gone) and the goal arrows. The board
// (board.js) paints the grid with these functions and the legend draws its icons with them, so
// the legend shows exactly what the board does.

/** @import { AgentState } from "./common.js" */
/** @typedef {{ bg: string, mark?: undefined } | { bg: string, mark: "resource" | "factory" | "charger", color: string }} CellStyle */
/** @typedef {[number, number, number, number]} Box x, y, width, height in canvas pixels */

/** A resource's green: on the grid, and on the badge of what an agent carries. */
const RESOURCE_GREEN = "#16a34a";
/** @type {Readonly<Record<string, CellStyle>>} */
export const CELL_STYLE = Object.freeze({
  empty: { bg: "#f3f5f9" },
  wall: { bg: "#374151" },
  resource: { bg: "#f3f5f9", mark: "resource", color: RESOURCE_GREEN },
  factory: { bg: "#fde7c8", mark: "factory", color: "#c2410c" },
  charger: { bg: "#dbeafe", mark: "charger", color: "#0284c7" },
});
export const GRID_LINE = "#dfe4ec";

/**
 * The agents' colours, by id. Chosen away from every cell's colours (no green like a resource,
 * no orange like a factory, no sky blue like a charger, no grey like a wall or an agent out of
 * energy) and from each other, each with a contrast of at least 3:1 against the empty cell (and
 * against the white number on it).
 */
export const AGENT_COLORS = Object.freeze([
  "#e11d48", // rose red
  "#7c3aed", // violet
  "#1e40af", // deep blue
  "#c026d3", // magenta
  "#854d0e", // brown
  "#0f172a", // ink
  "#ff1f8f", // pink
  "#6b0080", // plum
]);
/** An agent whose energy is gone: a grey disc with a faint edge and a grey number, so that it
 * does not look active. */
export const OUT_OF_ENERGY_COLOR = "#9ca3af";
const INK = "#111827";

/** @param {number} id */
export function agentColor(id) {
  return AGENT_COLORS[((id % AGENT_COLORS.length) + AGENT_COLORS.length) % AGENT_COLORS.length];
}

/**
 * The style of a cell of legend name `name` and grid value `value` (an unknown kind gets a pale
 * colour of its own).
 * @param {string | undefined} name
 * @param {string | number} value
 * @returns {CellStyle}
 */
export function cellStyle(name, value) {
  const known = name === undefined ? undefined : CELL_STYLE[name];
  return known || { bg: `hsl(${(Number(value) * 67) % 360} 60% 85%)` };
}

/**
 * A cell's background and mark in `box` (the cell without its grid line).
 * @param {CanvasRenderingContext2D} ctx
 * @param {Box} box
 * @param {CellStyle} style
 */
export function paintCell(ctx, [x0, y0, w, h], style) {
  ctx.fillStyle = style.bg;
  ctx.fillRect(x0, y0, w, h);
  if (!style.mark) return;
  const cx = x0 + w / 2;
  const cy = y0 + h / 2;
  const s = Math.min(w, h);
  ctx.fillStyle = style.color;
  ctx.beginPath();
  if (style.mark === "resource") {
    ctx.moveTo(cx, cy - s * 0.3);
    ctx.lineTo(cx + s * 0.22, cy);
    ctx.lineTo(cx, cy + s * 0.3);
    ctx.lineTo(cx - s * 0.22, cy);
  } else if (style.mark === "factory") {
    const bw = s * 0.64;
    const bh = s * 0.36;
    const bx = cx - bw / 2;
    const by = cy - bh / 2 + s * 0.1;
    ctx.fillRect(bx, by, bw, bh);
    ctx.moveTo(bx, by); // saw-tooth roof
    ctx.lineTo(bx + bw * 0.33, by - s * 0.16);
    ctx.lineTo(bx + bw * 0.33, by);
    ctx.lineTo(bx + bw * 0.66, by - s * 0.16);
    ctx.lineTo(bx + bw * 0.66, by);
    ctx.lineTo(bx + bw, by - s * 0.16);
    ctx.lineTo(bx + bw, by);
  } else {
    ctx.moveTo(cx + s * 0.06, cy - s * 0.34); // lightning bolt
    ctx.lineTo(cx - s * 0.18, cy + s * 0.04);
    ctx.lineTo(cx - s * 0.01, cy + s * 0.04);
    ctx.lineTo(cx - s * 0.08, cy + s * 0.34);
    ctx.lineTo(cx + s * 0.18, cy - s * 0.06);
    ctx.lineTo(cx + s * 0.01, cy - s * 0.06);
  }
  ctx.closePath();
  ctx.fill();
}

/**
 * An agent in its cell's `box`: a numbered disc in its colour (grey and faded when its energy is
 * gone), a badge with the count of what it carries at the top right, its energy bar along the
 * bottom.
 * @param {CanvasRenderingContext2D} ctx
 * @param {AgentState} agent
 * @param {Box} box the cell's box
 * @param {number} [i] @param {number} [n] the agent's place among the n on the cell
 */
export function paintAgent(ctx, agent, [x0, y0, w, h], i = 0, n = 1) {
  const s = Math.min(w, h);
  const spent = !(agent.energy > 0);
  const shift = n > 1 ? (i - (n - 1) / 2) * s * 0.18 : 0;
  const cx = x0 + w / 2 + shift;
  const cy = y0 + h * 0.44;
  ctx.fillStyle = spent ? OUT_OF_ENERGY_COLOR : agentColor(agent.id);
  ctx.strokeStyle = spent ? "#e5e7eb" : "#ffffff";
  ctx.lineWidth = Math.max(1, s * 0.06);
  ctx.beginPath();
  ctx.arc(cx, cy, s * 0.31, 0, Math.PI * 2);
  ctx.fill();
  ctx.stroke();
  if (s >= 16) {
    ctx.fillStyle = spent ? "#4b5563" : "#ffffff";
    ctx.font = `700 ${Math.round(s * 0.34)}px system-ui, sans-serif`;
    ctx.textAlign = "center";
    ctx.textBaseline = "middle";
    ctx.fillText(String(agent.id), cx, cy + s * 0.02);
  }
  if (agent.carrying > 0) paintCarrying(ctx, agent.carrying, x0 + w, y0, s);
  const energy = Math.max(0, Math.min(1, (agent.energy || 0) / 100));
  const bh = Math.max(2, Math.round(s * 0.11));
  const by = y0 + h - bh - 1;
  const bw = w - 4;
  ctx.fillStyle = "rgba(17,24,39,.25)";
  ctx.fillRect(x0 + 2, by, bw, bh);
  ctx.fillStyle = energy > 0.5 ? "#16a34a" : energy > 0.2 ? "#f59e0b" : "#dc2626";
  ctx.fillRect(x0 + 2, by, Math.round(bw * energy), bh);
}

/**
 * The carried count: a green box with a dark edge in the cell's top right corner (its right
 * edge at `right`, its top at `top`), big enough to see on a 400 px board, with the count in it.
 * @param {CanvasRenderingContext2D} ctx
 * @param {number} count @param {number} right @param {number} top @param {number} s the cell's size
 */
function paintCarrying(ctx, count, right, top, s) {
  const d = Math.max(8, Math.round(s * 0.42));
  const x = right - d;
  ctx.fillStyle = INK;
  ctx.fillRect(x, top, d, d);
  ctx.fillStyle = RESOURCE_GREEN;
  ctx.fillRect(x + 1, top + 1, d - 2, d - 2);
  if (s >= 16) {
    ctx.fillStyle = "#ffffff";
    ctx.font = `800 ${Math.round(d * 0.85)}px system-ui, sans-serif`;
    ctx.textAlign = "center";
    ctx.textBaseline = "middle";
    ctx.fillText(String(count), x + d / 2, top + d / 2 + 1);
  }
}

/**
 * An agent's way to its goal: a line through `points` (canvas pixels, from the agent's cell
 * centre to the goal cell's) in the agent's colour, from the edge of its disc to an arrowhead
 * just inside the goal cell, so that neither the agent nor the goal's mark is hidden; a ring
 * around the agent when it is there already (one point).
 * @param {CanvasRenderingContext2D} ctx
 * @param {Array<[number, number]>} points
 * @param {string} color
 * @param {number} s a cell's size in canvas pixels
 */
export function paintGoal(ctx, points, color, s) {
  ctx.save();
  ctx.strokeStyle = color;
  ctx.fillStyle = color;
  ctx.globalAlpha = 0.85;
  ctx.lineWidth = Math.max(2, s * 0.12);
  ctx.lineJoin = "round";
  ctx.lineCap = "round";
  if (points.length === 1) {
    ctx.beginPath();
    ctx.arc(points[0][0], points[0][1], s * 0.46, 0, Math.PI * 2);
    ctx.stroke();
    ctx.restore();
    return;
  }
  /** `from` moved `by` pixels towards `to`. @param {[number, number]} from @param {[number, number]} to @param {number} by */
  const towards = ([fx, fy], [tx, ty], by) => {
    const length = Math.hypot(tx - fx, ty - fy) || 1;
    return [fx + ((tx - fx) * by) / length, fy + ((ty - fy) * by) / length];
  };
  const last = points[points.length - 1];
  const before = points[points.length - 2];
  const [tipX, tipY] = towards(last, before, s * 0.38);
  const angle = Math.atan2(last[1] - before[1], last[0] - before[0]);
  const head = Math.max(6, s * 0.4);
  const [startX, startY] = towards(points[0], points[1], s * 0.36);
  // The line stops where the arrowhead begins, so the head's tip stays sharp; a way of one step
  // is the arrowhead alone.
  const endX = tipX - Math.cos(angle) * head * 0.8;
  const endY = tipY - Math.sin(angle) * head * 0.8;
  if (points.length > 2 || Math.hypot(endX - points[0][0], endY - points[0][1]) > s * 0.36) {
    ctx.beginPath();
    ctx.moveTo(startX, startY);
    for (const [x, y] of points.slice(1, -1)) ctx.lineTo(x, y);
    ctx.lineTo(endX, endY);
    ctx.stroke();
  }
  ctx.beginPath();
  ctx.moveTo(tipX, tipY);
  ctx.lineTo(tipX - Math.cos(angle - 0.45) * head, tipY - Math.sin(angle - 0.45) * head);
  ctx.lineTo(tipX - Math.cos(angle + 0.45) * head, tipY - Math.sin(angle + 0.45) * head);
  ctx.closePath();
  ctx.fill();
  ctx.restore();
}

/** The legend's icon size in CSS pixels (app.css's .legend-icon sizes them alike). */
const ICON = 24;

/**
 * A legend icon: a small canvas with what `draw` paints on a cell of the icon's size (hidden
 * from screen readers: the words beside it say what it is).
 * @param {(ctx: CanvasRenderingContext2D, box: Box) => void} draw
 */
function icon(draw) {
  const dpr = window.devicePixelRatio || 1;
  const canvas = document.createElement("canvas");
  const px = Math.round(ICON * dpr);
  canvas.width = px;
  canvas.height = px;
  canvas.className = "legend-icon";
  canvas.setAttribute("aria-hidden", "true");
  const ctx = /** @type {CanvasRenderingContext2D} */ (canvas.getContext("2d"));
  draw(ctx, [0, 0, px, px]);
  return canvas;
}

/**
 * The legend's entries: an icon drawn by the board's own code and its words, for each kind of
 * cell `legend` names (but empty), then an agent, an agent carrying, an agent out of energy and
 * a goal arrow.
 * @param {Record<string, string> | undefined} legend a Snapshot's legend
 * @returns {Array<{ key: string, icon: HTMLCanvasElement, text: string }>}
 */
export function legendIcons(legend) {
  /** @param {Partial<AgentState>} fields */
  const agent = (fields) => /** @type {AgentState} */ ({ id: 0, x: 0, y: 0, energy: 80, carrying: 0, reward: 0, goal: "resource", ...fields });
  /** @type {Array<[string, (ctx: CanvasRenderingContext2D, box: Box) => void, string]>} */
  const entries = Object.entries(legend || {})
    .filter(([, name]) => name !== "empty")
    .map(([value, name]) => [name, (ctx, box) => paintCell(ctx, box, cellStyle(name, value)), name]);
  /** @param {(ctx: CanvasRenderingContext2D, box: Box) => void} draw what goes on an empty cell */
  const onEmpty = (draw) => (/** @type {CanvasRenderingContext2D} */ ctx, /** @type {Box} */ box) => {
    paintCell(ctx, box, CELL_STYLE.empty);
    draw(ctx, box);
  };
  entries.push(
    ["agent", onEmpty((ctx, box) => paintAgent(ctx, agent({}), box)), "agent (bar: energy)"],
    ["carrying", onEmpty((ctx, box) => paintAgent(ctx, agent({ carrying: 2 }), box)), "carrying (how many)"],
    ["spent", onEmpty((ctx, box) => paintAgent(ctx, agent({ energy: 0 }), box)), "out of energy"],
    ["goal", onEmpty((ctx, [x, y, w, h]) => {
      paintGoal(ctx, [[x + w * 0.15, y + h * 0.85], [x + w * 0.15, y + h * 0.35], [x + w * 0.9, y + h * 0.35]], agentColor(0), w * 0.5);
    }), "way to its goal"],
  );
  return entries.map(([key, draw, text]) => ({ key, icon: icon(draw), text }));
}
