// Applying the compact deltas of state_update, exactly as env/delta.py's apply() does:
// replace each whole field present, take `stats` (a list in STATS_FIELDS order, in whole
// 1/STATS_SCALES units),
// set each `cells` pair (or take `grid`), replace or add each `agents` row and drop each `gone`
// id (agents stay sorted by id), then append `log` and keep the last `log_len` entries (as many
// as before when it is absent). Actions
// come as codes (their index in ACTIONS) or names, rewards in whole thousandths. A malformed
// delta throws: the page then
// resyncs from a full snapshot.

const AGENT_FIELDS = ["id", "x", "y", "energy", "carrying", "reward", "action"];
const ROW_FIELDS = AGENT_FIELDS.slice(1); // bit k of a row's mask stands for ROW_FIELDS[k]
const EVERY_FIELD = (1 << ROW_FIELDS.length) - 1;
const ID_SHIFT = 6; // a row's head is id * 2 ** ID_SHIFT + mask
const ACTIONS = ["stay", "up", "down", "left", "right", "pick", "drop", "out_of_energy"];
const STATS_FIELDS = ["products_created", "efficiency", "total_reward"];
const STATS_SCALES = [1, 10000, 10000];
const REWARD_SCALE = 1000;

function unfixed(units, scale) {
  if (!Number.isInteger(units)) throw new Error(`The delta's figure ${JSON.stringify(units)} is not a whole number of units.`);
  return scale === 1 ? units : units / scale;
}
const DELTA_KEYS = new Set(["grid", "cells", "agents", "gone", "stats", "log", "log_len"]);

function actionName(code) {
  if (typeof code === "string") return code;
  if (Number.isInteger(code) && code >= 0 && code < ACTIONS.length) return ACTIONS[code];
  throw new Error(`The delta's action ${JSON.stringify(code)} is not a name nor a code 0 to ${ACTIONS.length - 1}.`);
}

// The `agents` rows: [id, {field: value}] for the fields each row sets (action null: dropped).
function agentRows(flat) {
  if (!Array.isArray(flat)) throw new Error("The delta's 'agents' is not a list.");
  const out = [];
  let at = 0;
  while (at < flat.length) {
    const head = flat[at];
    if (!Number.isInteger(head) || head < 0) throw new Error(`The delta's agents row head ${JSON.stringify(head)} is not an id * 64 + mask.`);
    const id = Math.floor(head / 2 ** ID_SHIFT);
    const mask = head & EVERY_FIELD;
    const fields = ROW_FIELDS.filter((_, k) => (mask >> k) & 1);
    if (at + 1 + fields.length > flat.length) {
      throw new Error(`The delta's agents row for agent ${id} ends before its ${fields.length} values.`);
    }
    const changed = {};
    fields.forEach((field, j) => {
      const value = flat[at + 1 + j];
      if (field === "reward") changed.reward = unfixed(value, REWARD_SCALE);
      else if (field === "action") changed.action = value === null ? null : actionName(value);
      else changed[field] = value;
    });
    out.push([id, changed]);
    at += 1 + fields.length;
  }
  return out;
}

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
 */
export function applyDelta(state, delta) {
  if ("log_len" in delta && !("log" in delta)) {
    throw new Error("A delta carries 'log_len' only beside 'log'.");
  }
  for (const [key, value] of Object.entries(delta)) {
    if (!DELTA_KEYS.has(key)) state[key] = structuredClone(value);
  }
  if ("stats" in delta) {
    const stats = delta.stats;
    if (!Array.isArray(stats) || stats.length !== STATS_FIELDS.length) {
      throw new Error(`The delta's 'stats' holds ${JSON.stringify(stats)}, not ${STATS_FIELDS.length} values.`);
    }
    state.stats = Object.fromEntries(STATS_FIELDS.map((field, i) => [field, unfixed(stats[i], STATS_SCALES[i])]));
  }
  if ("grid" in delta) state.grid = structuredClone(delta.grid);
  const width = state.width;
  for (const [index, value] of rows(delta.cells || [], 2, "cells")) {
    const row = state.grid[Math.floor(index / width)];
    if (!row || index < 0) throw new Error(`The delta's cell ${index} is off the grid.`);
    row[index % width] = value;
  }
  if ("agents" in delta || "gone" in delta) {
    const agents = new Map(state.agents.map((agent) => [agent.id, agent]));
    for (const [id, changed] of agentRows(delta.agents || [])) {
      if (!agents.has(id) && Object.keys(changed).length < ROW_FIELDS.length) {
        throw new Error(`The delta's row for new agent ${id} lacks some of ${ROW_FIELDS.join(", ")}.`);
      }
      const merged = { ...(agents.get(id) || { id }), ...changed };
      const agent = {};
      for (const field of AGENT_FIELDS) if (merged[field] !== undefined && merged[field] !== null) agent[field] = merged[field];
      agents.set(id, agent);
    }
    for (const id of delta.gone || []) agents.delete(id);
    state.agents = [...agents.keys()].sort((a, b) => a - b).map((id) => agents.get(id));
  }
  let added = [];
  if ("log" in delta) {
    added = rows(delta.log, 3, "log").map(([tick, agent, action]) => ({ tick, agent, action: actionName(action) }));
    const length = "log_len" in delta ? delta.log_len : state.log.length;
    const log = state.log.concat(added);
    if (!Number.isInteger(length) || length < 0 || length > log.length) {
      throw new Error(`The delta's log_len ${length} is outside 0 to ${log.length}, the entries known.`);
    }
    // Cut from len - length, not from -length: a log_len of 0 keeps nothing.
    state.log = log.slice(log.length - length);
    if (added.length > length) added = added.slice(added.length - length);
  }
  return added;
}
