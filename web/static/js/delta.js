// @ts-check
// Applying the compact deltas of state_update, exactly as env/delta.py's apply() does (its
// docstring specifies the form; apply() is the reference this port must equal). The keys,
// fields, codes and scales come from wire.js, generated from env/wire.py. A delta's own keys are
// one letter long (AGENTS, GONE, CELLS, STATS, LOG, LOG_LEN); GRID carries a whole new grid and
// any other key is a Snapshot field, taken whole. Replace each whole field present, set each `c`
// pair (or take `grid`), replace or add each `a` row and drop each `g` id (agents stay sorted by
// id), then append `l` and keep the last `n` entries (as many as before when it is absent).
// Actions come as codes (their index in ACTIONS) or names, goals as codes (their index in GOALS).
// Rewards and stats come as changes in
// whole 1/REWARD_SCALE and 1/STATS_SCALES units (a new agent's reward as its change from 0),
// added to the previous figure's units before scaling: adding floats would not give the next
// Snapshot exactly (10.55 + 0.05 !== 10.6). `s` holds 1 to 3 stats changes in CHANGED_STATS
// order; those it leaves out at its end are 0 (`[0, 50]`: the total alone changed). A malformed
// delta throws: the page then resyncs from a full snapshot.

import {
  ACTIONS,
  AGENT_FIELDS,
  AGENTS,
  CELLS,
  CHANGED_STATS,
  DELTA_KEYS,
  EVERY_FIELD,
  GOALS,
  GONE,
  GRID,
  ID_SHIFT,
  LOG,
  LOG_FIELDS,
  LOG_LEN,
  REWARD_SCALE,
  ROW_FIELDS,
  STATS,
  STATS_FIELDS,
  STATS_SCALES,
} from "./wire.js";

/** @import { AgentState } from "./common.js" */
/**
 * A Snapshot's agent (env/snapshot.py); `action` may be absent.
 * @typedef {AgentState} Agent
 */
/**
 * An entry of a Snapshot's action log.
 * @typedef {{tick: number, agent: number, action: string}} LogEntry
 */
/**
 * A Snapshot as the page holds it: the fields applyDelta works on, and the others, taken whole.
 * @typedef {{width: number, grid: number[][], agents: Agent[], stats: Record<string, number>, log: LogEntry[], [field: string]: unknown}} State
 */
/**
 * A delta: every key is optional (see env/delta.py).
 * @typedef {Record<string, unknown>} Delta
 */

const DELTA_KEY_SET = new Set(DELTA_KEYS);

/**
 * The figure `previous` (a Snapshot's: a whole number of 1/scale) moved by the delta's `change`
 * of whole 1/scale units.
 * @param {number} previous
 * @param {unknown} change
 * @param {number} scale
 * @param {string} key
 * @param {string} what
 * @returns {number}
 */
function changed(previous, change, scale, key, what) {
  if (typeof change !== "number" || !Number.isInteger(change)) {
    const whole = scale === 1 ? "" : `, a whole number of 1/${scale}ths`;
    throw new Error(`The delta's '${key}' change ${JSON.stringify(change)} to ${what} is not an int${whole}.`);
  }
  return (Math.round(previous * scale) + change) / scale;
}

/**
 * @param {unknown} code
 * @returns {string}
 */
function actionName(code) {
  if (typeof code === "string") return code;
  if (typeof code === "number" && Number.isInteger(code) && code >= 0 && code < ACTIONS.length) return ACTIONS[code];
  throw new Error(`The delta's action ${JSON.stringify(code)} is not a name nor a code 0 to ${ACTIONS.length - 1}.`);
}

/**
 * @param {unknown} code
 * @returns {string}
 */
function goalName(code) {
  if (typeof code === "number" && Number.isInteger(code) && code >= 0 && code < GOALS.length) return GOALS[code];
  throw new Error(`The delta's goal ${JSON.stringify(code)} is not a code 0 to ${GOALS.length - 1}.`);
}

/**
 * The agent rows: [id, {field: value}] for the fields each row sets (the reward as its change,
 * action null: dropped).
 * @param {unknown} flat
 * @returns {Array<[number, Record<string, unknown>]>}
 */
function agentRows(flat) {
  if (!Array.isArray(flat)) throw new Error(`The delta's '${AGENTS}' is not a list.`);
  /** @type {Array<[number, Record<string, unknown>]>} */
  const out = [];
  let at = 0;
  while (at < flat.length) {
    const head = flat[at];
    if (!Number.isInteger(head) || head < 0) {
      throw new Error(`The delta's '${AGENTS}' row head ${JSON.stringify(head)} is not an id * ${2 ** ID_SHIFT} + mask.`);
    }
    const id = Math.floor(head / 2 ** ID_SHIFT);
    const mask = head & EVERY_FIELD;
    const fields = ROW_FIELDS.filter((_, k) => (mask >> k) & 1);
    if (at + 1 + fields.length > flat.length) {
      throw new Error(`The delta's '${AGENTS}' row for agent ${id} ends before its ${fields.length} values.`);
    }
    /** @type {Record<string, unknown>} */
    const values = {};
    fields.forEach((field, j) => {
      const value = flat[at + 1 + j];
      if (field === "action") values.action = value === null ? null : actionName(value);
      else if (field === "goal") values.goal = goalName(value);
      else values[field] = value;
    });
    out.push([id, values]);
    at += 1 + fields.length;
  }
  return out;
}

/**
 * `flat` cut into rows of `width` values.
 * @param {unknown} flat
 * @param {number} width
 * @param {string} name
 * @returns {any[][]}
 */
function rows(flat, width, name) {
  if (!Array.isArray(flat)) throw new Error(`The delta's '${name}' is not a list.`);
  if (flat.length % width) {
    throw new Error(`The delta's '${name}' holds ${flat.length} values, not a multiple of ${width}.`);
  }
  const out = [];
  for (let i = 0; i < flat.length; i += width) out.push(flat.slice(i, i + width));
  return out;
}

/**
 * Apply `delta` to `state` in place (the page owns its state) and return the new log entries,
 * oldest first (what the action log shows). Equal to env.delta.apply(state, delta).
 * @param {State} state
 * @param {Delta} delta
 * @returns {LogEntry[]}
 */
export function applyDelta(state, delta) {
  if (LOG_LEN in delta && !(LOG in delta)) {
    throw new Error(`A delta carries '${LOG_LEN}' only beside '${LOG}'.`);
  }
  for (const [key, value] of Object.entries(delta)) {
    if (!DELTA_KEY_SET.has(key)) state[key] = structuredClone(value);
  }
  if (STATS in delta) {
    const changes = delta[STATS];
    if (!Array.isArray(changes) || changes.length < 1 || changes.length > CHANGED_STATS.length) {
      throw new Error(`The delta's '${STATS}' holds ${JSON.stringify(changes)}, not 1 to ${CHANGED_STATS.length} changes.`);
    }
    // The changes left out at the end are 0.
    const moved = Object.fromEntries(CHANGED_STATS.map((field, i) => [field, i < changes.length ? changes[i] : 0]));
    state.stats = Object.fromEntries(
      STATS_FIELDS.map((field) => [field, changed(state.stats[field], moved[field], STATS_SCALES[field], STATS, field)]),
    );
  }
  if (GRID in delta) state.grid = /** @type {number[][]} */ (structuredClone(delta[GRID]));
  const width = state.width;
  for (const [index, value] of rows(delta[CELLS] || [], 2, CELLS)) {
    const row = state.grid[Math.floor(index / width)];
    if (!row || index < 0) throw new Error(`The delta's cell ${index} is off the grid.`);
    row[index % width] = value;
  }
  if (AGENTS in delta || GONE in delta) {
    /** @type {Map<number, Agent>} */
    const agents = new Map(state.agents.map((agent) => [agent.id, agent]));
    for (const [id, fields] of agentRows(delta[AGENTS] || [])) {
      const old = agents.get(id);
      if (!old && Object.keys(fields).length < ROW_FIELDS.length) {
        throw new Error(`The delta's '${AGENTS}' row for new agent ${id} lacks some of ${ROW_FIELDS.join(", ")}.`);
      }
      // A new agent's reward is its change from 0.
      if ("reward" in fields) {
        fields.reward = changed(old ? old.reward : 0, fields.reward, REWARD_SCALE, AGENTS, `agent ${id}'s reward`);
      }
      /** @type {Record<string, unknown>} */
      const merged = { ...(old || { id }), ...fields };
      /** @type {Record<string, unknown>} */
      const agent = {};
      for (const field of AGENT_FIELDS) if (merged[field] !== undefined && merged[field] !== null) agent[field] = merged[field];
      agents.set(id, /** @type {Agent} */ (agent));
    }
    for (const id of /** @type {unknown[]} */ (delta[GONE] || [])) agents.delete(/** @type {number} */ (id));
    state.agents = [...agents.keys()].sort((a, b) => a - b).map((id) => /** @type {Agent} */ (agents.get(id)));
  }
  /** @type {LogEntry[]} */
  let added = [];
  if (LOG in delta) {
    added = rows(delta[LOG], LOG_FIELDS.length, LOG).map(([tick, agent, action]) => ({ tick, agent, action: actionName(action) }));
    const length = LOG_LEN in delta ? delta[LOG_LEN] : state.log.length;
    const log = state.log.concat(added);
    if (typeof length !== "number" || !Number.isInteger(length) || length < 0 || length > log.length) {
      throw new Error(`The delta's '${LOG_LEN}' ${length} is outside 0 to ${log.length}, the entries known.`);
    }
    // Cut from len - length, not from -length: a length of 0 keeps nothing.
    state.log = log.slice(log.length - length);
    if (added.length > length) added = added.slice(added.length - length);
  }
  return added;
}
