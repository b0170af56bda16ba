// @ts-check
// Generated from env/wire.py by `python -m env.wire_js`; do not edit by hand (a test fails when it
// is stale). The wire form of a room's state: names, orders, codes and scales of the
// Snapshot and its deltas (env/delta.py specifies the delta form).

/**
 * A Snapshot's fields, in the order it is written.
 * @type {readonly string[]}
 */
export const SNAPSHOT_FIELDS = Object.freeze(["room", "tick", "episode", "running", "speed", "width", "height", "grid", "legend", "agents", "stats", "log"]);

/**
 * The delta's key for the rows of the agents that changed or are new.
 * @type {string}
 */
export const AGENTS = "a";

/**
 * The delta's key for the ids of the agents that are no longer there.
 * @type {string}
 */
export const GONE = "g";

/**
 * The delta's key for the grid cells that changed.
 * @type {string}
 */
export const CELLS = "c";

/**
 * The delta's key for the changes of the stats.
 * @type {string}
 */
export const STATS = "s";

/**
 * The delta's key for the new log entries.
 * @type {string}
 */
export const LOG = "l";

/**
 * The delta's key for the log's new length.
 * @type {string}
 */
export const LOG_LEN = "n";

/**
 * The delta's key for a whole new grid, when the grid's size changed (the Snapshot field's name).
 * @type {string}
 */
export const GRID = "grid";

/**
 * The delta's keys that are not a Snapshot field taken whole.
 * @type {readonly string[]}
 */
export const DELTA_KEYS = Object.freeze(["grid", "c", "a", "g", "s", "l", "n"]);

/**
 * A Snapshot agent's fields, in the order it is written (`action` may be absent).
 * @type {readonly string[]}
 */
export const AGENT_FIELDS = Object.freeze(["id", "x", "y", "energy", "carrying", "reward", "action", "goal"]);

/**
 * The fields an agent row may carry, in order: bit k of its mask stands for ROW_FIELDS[k].
 * @type {readonly string[]}
 */
export const ROW_FIELDS = Object.freeze(["x", "y", "energy", "carrying", "reward", "action", "goal"]);

/**
 * Where the reward is in ROW_FIELDS.
 * @type {number}
 */
export const REWARD_AT = 4;

/**
 * The mask of a row that carries every field: a new agent's.
 * @type {number}
 */
export const EVERY_FIELD = 127;

/**
 * A row's head is `id << ID_SHIFT | mask` (`id * 128 + mask`): the mask's bits fit below it.
 * @type {number}
 */
export const ID_SHIFT = 7;

/**
 * A log entry's fields, in the order it is written and its row in `l` carries them.
 * @type {readonly string[]}
 */
export const LOG_FIELDS = Object.freeze(["tick", "agent", "action"]);

/**
 * Action names by their code in agent and log rows: an agent's action code is its index in
 * env.config.ACTION_NAMES, and the log's out-of-energy event comes after them.
 * @type {readonly string[]}
 */
export const ACTIONS = Object.freeze(["stay", "up", "down", "left", "right", "pick", "drop", "out_of_energy"]);

/**
 * The code of each name of ACTIONS.
 * @type {Readonly<Record<string, number>>}
 */
export const ACTION_CODES = Object.freeze({"stay": 0, "up": 1, "down": 2, "left": 3, "right": 4, "pick": 5, "drop": 6, "out_of_energy": 7});

/**
 * An agent's goal (the errand env.core.BatchedWorld.goals gives it: the kind of cell it heads
 * for, named as the legend names it) by its code in agent rows, which is the index that gives it.
 * @type {readonly string[]}
 */
export const GOALS = Object.freeze(["resource", "factory", "charger"]);

/**
 * The code of each name of GOALS.
 * @type {Readonly<Record<string, number>>}
 */
export const GOAL_CODES = Object.freeze({"resource": 0, "factory": 1, "charger": 2});

/**
 * A Snapshot's stats, in the order they are written.
 * @type {readonly string[]}
 */
export const STATS_FIELDS = Object.freeze(["products_created", "efficiency", "total_reward"]);

/**
 * The order of the changes in `s`: the stats that change on most ticks first, as the zero
 * changes at its end are left out (products are made on few ticks).
 * @type {readonly string[]}
 */
export const CHANGED_STATS = Object.freeze(["efficiency", "total_reward", "products_created"]);

/**
 * Decimals to which a Snapshot rounds rewards: each agent's and the total.
 * @type {number}
 */
export const REWARD_DIGITS = 3;

/**
 * Decimals to which a Snapshot rounds its efficiency (products per 100 energy: 5.84).
 * @type {number}
 */
export const EFFICIENCY_DIGITS = 2;

/**
 * An agent's reward travels in whole thousandths.
 * @type {number}
 */
export const REWARD_SCALE = 1000;

/**
 * Each stat travels in whole 1/scale units.
 * @type {Readonly<Record<string, number>>}
 */
export const STATS_SCALES = Object.freeze({"products_created": 1, "efficiency": 100, "total_reward": 1000});
