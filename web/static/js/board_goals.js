// @ts-check
// Each agent's way to its goal, for the board's "Show goals": the goal is the kind of cell the
// world says the agent heads for (a Snapshot agent's `goal`, env.core.BatchedWorld.goals), and
// its way a shortest path to the nearest cell of that kind, walls blocking, as the world measures
// distances. Where several first steps are as short, the path takes the first of up, down, left,
// right: the step the agent's observation points to. Whether goals are shown is remembered in the
// browser (localStorage).

/** @import { Snapshot } from "./common.js" */

const SHOW_GOALS_KEY = "simrooms.showGoals";
/** Up, down, left, right as (dx, dy): the world's order of moves. */
const STEPS = [[0, -1], [0, 1], [-1, 0], [1, 0]];

/** Whether this browser last chose to show goals (off until it does). */
export function loadShowGoals() {
  try {
    return localStorage.getItem(SHOW_GOALS_KEY) === "1";
  } catch {
    return false; // storage refused (private mode, a sandboxed frame): goals start hidden
  }
}

/** @param {boolean} show */
export function saveShowGoals(show) {
  try {
    localStorage.setItem(SHOW_GOALS_KEY, show ? "1" : "0");
  } catch {
    // not remembered, but shown or hidden all the same
  }
}

/**
 * Each cell's distance (in moves, walls blocking) to the nearest cell whose value is `target`,
 * -1 where none is reachable: one breadth-first search from all of them at once.
 * @param {Snapshot} state
 * @param {number} target a grid value
 * @param {number} wall the walls' grid value (-1: none)
 */
function distances(state, target, wall) {
  const { width, height, grid } = state;
  const dist = new Int32Array(width * height).fill(-1);
  const queue = new Int32Array(width * height);
  let tail = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (grid[y][x] === target) {
        dist[y * width + x] = 0;
        queue[tail++] = y * width + x;
      }
    }
  }
  for (let head = 0; head < tail; head++) {
    const cell = queue[head];
    const x = cell % width;
    const y = (cell - x) / width;
    for (const [dx, dy] of STEPS) {
      const nx = x + dx;
      const ny = y + dy;
      if (nx < 0 || ny < 0 || nx >= width || ny >= height) continue;
      const next = ny * width + nx;
      if (dist[next] !== -1 || grid[ny][nx] === wall) continue;
      dist[next] = dist[cell] + 1;
      queue[tail++] = next;
    }
  }
  return dist;
}

/**
 * The way of each agent that has energy left to its goal: the cells [x, y] from its own to the
 * nearest cell of its goal's kind (just its own when it is there). Agents whose goal's kind is
 * nowhere to be reached (all resources picked) have none.
 * @param {Snapshot} state
 * @returns {Map<number, Array<[number, number]>>} by agent id
 */
export function goalPaths(state) {
  /** @type {Record<string, number>} */
  const valueOf = {};
  for (const [value, name] of Object.entries(state.legend || {})) valueOf[name] = Number(value);
  const wall = valueOf.wall ?? -1;
  /** @type {Map<string, Int32Array>} */
  const fields = new Map();
  /** @type {Map<number, Array<[number, number]>>} */
  const paths = new Map();
  const { width, height } = state;
  for (const agent of state.agents) {
    if (!(agent.energy > 0) || !agent.goal || !(agent.goal in valueOf)) continue;
    let dist = fields.get(agent.goal);
    if (!dist) {
      dist = distances(state, valueOf[agent.goal], wall);
      fields.set(agent.goal, dist);
    }
    let x = agent.x;
    let y = agent.y;
    let left = dist[y * width + x];
    if (left < 0) continue;
    /** @type {Array<[number, number]>} */
    const path = [[x, y]];
    while (left > 0) {
      for (const [dx, dy] of STEPS) {
        const nx = x + dx;
        const ny = y + dy;
        if (nx >= 0 && ny >= 0 && nx < width && ny < height && dist[ny * width + nx] === left - 1) {
          x = nx;
          y = ny;
          break;
        }
      }
      left -= 1;
      path.push([x, y]);
    }
    paths.set(agent.id, path);
  }
  return paths;
}
