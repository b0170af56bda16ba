// @ts-check
// What the sweep and compare pages share: the rooms the user may see (GET /api/rooms), each
// room's episodes kept up to date (refetched when its episode count moved), the baselines of
// each distinct world config (one request per config and agent count), grid points as words,
// and the final figures of a run (the mean of its last 10 episodes).

import { getJson } from "./common.js";
import { fetchBaselines } from "./curves.js";
import { changesText, valueText } from "./config_fields.js";
import { fetchEpisodes } from "./room_history.js";

/** @import { Figures, RoomInfo } from "./common.js" */
/** @import { BaselineSet } from "./curves.js" */

/** Final figures are over each room's last this many episodes. */
export const LAST_EPISODES = 10;

/** The page's own data (the template's #experiment-data). @returns {Record<string, unknown>} */
export function experimentData() {
  return JSON.parse(document.getElementById("experiment-data")?.textContent || "{}");
}

/** Every room the user may see, or null when the request failed. @returns {Promise<RoomInfo[] | null>} */
export async function fetchRooms() {
  const body = /** @type {{ rooms?: RoomInfo[] } | null} */ (await getJson("/api/rooms"));
  return body && Array.isArray(body.rooms) ? body.rooms : null;
}

/**
 * The episodes of a set of rooms, kept: `refresh(rooms)` fetches those whose episode count
 * (or running state) moved since their last fetch, a few at a time.
 */
export class EpisodeCache {
  constructor() {
    /** @type {Map<string, Figures[]>} */
    this.rows = new Map();
    /** @type {Map<string, string>} what each room's RoomInfo said at its last fetch */
    this.seen = new Map();
  }

  /** @param {RoomInfo[]} rooms @returns {Promise<boolean>} whether anything changed */
  async refresh(rooms) {
    const todo = rooms.filter((r) => this.seen.get(r.name) !== `${r.episode}`);
    let changed = false;
    for (let i = 0; i < todo.length; i += 4) {
      const batch = todo.slice(i, i + 4);
      const got = await Promise.all(batch.map((r) => fetchEpisodes(r.name)));
      batch.forEach((room, j) => {
        const episodes = got[j];
        if (!episodes) return;
        this.rows.set(room.name, episodes);
        this.seen.set(room.name, `${room.episode}`);
        changed = true;
      });
    }
    return changed;
  }

  /** @param {string} room @returns {Figures[]} */
  of(room) {
    return this.rows.get(room) || [];
  }
}

/**
 * The baselines of each distinct world config and agent count among `rooms` (one request for
 * each), labelled by a room that has it; `label(room)` names it when there are several.
 * @param {RoomInfo[]} rooms
 * @param {(room: RoomInfo) => string} label
 * @returns {Promise<BaselineSet[]>}
 */
export async function baselineSets(rooms, label) {
  /** @type {Map<string, RoomInfo>} */
  const byConfig = new Map();
  for (const room of rooms) {
    const key = `${room.agents}|${JSON.stringify(sortKeys(room.config?.world ?? null))}`;
    if (!byConfig.has(key)) byConfig.set(key, room);
  }
  const sets = await Promise.all([...byConfig.values()].map(async (room) => {
    const values = await fetchBaselines(room.name);
    return values ? { label: label(room), agents: room.agents, values } : null;
  }));
  return /** @type {BaselineSet[]} */ (sets.filter((s) => s !== null));
}

/** A value with its objects' keys sorted (for keys that do not depend on order). @param {unknown} value @returns {unknown} */
export function sortKeys(value) {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.keys(value).sort().map((k) => [k, sortKeys(/** @type {Record<string, unknown>} */ (value)[k])]));
  }
  return value;
}

/** A grid point in words: "Learning rate 0.003 · Ticks per episode 100", "all seeds" for none. @param {Record<string, unknown> | null | undefined} point */
export function pointText(point) {
  const parts = changesText(point);
  return parts.length ? parts.join(" · ") : "all seeds";
}

/** A value in a table. @param {unknown} v */
export function cell(v) {
  return valueText(v);
}

/**
 * The mean of the last LAST_EPISODES episodes' products and return per agent of one room, and
 * how many it had; null for a room with no finished episode.
 * @param {Figures[]} rows @param {number} agents
 * @returns {{ products: number | null, ret: number | null, episodes: number } | null}
 */
export function finalOf(rows, agents) {
  if (!rows.length) return null;
  const last = rows.slice(-LAST_EPISODES);
  /** @param {(r: Figures) => unknown} pick */
  const mean = (pick) => {
    const values = last.map(pick).filter((v) => typeof v === "number" && Number.isFinite(v)).map(Number);
    return values.length ? values.reduce((s, v) => s + v, 0) / values.length : null;
  };
  return {
    products: mean((r) => (typeof r.products === "number" ? r.products : r.products_created)),
    ret: mean((r) => (typeof r.return === "number" ? r.return : typeof r.total_reward === "number" ? r.total_reward / Math.max(1, agents) : null)),
    episodes: rows.length,
  };
}

/**
 * Mean, standard deviation (n - 1; 0 for one value), lowest and highest of some numbers.
 * @param {number[]} values
 * @returns {{ mean: number, sd: number, min: number, max: number, n: number } | null}
 */
export function spread(values) {
  if (!values.length) return null;
  const n = values.length;
  const mean = values.reduce((s, v) => s + v, 0) / n;
  const sd = n > 1 ? Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, sd, min: Math.min(...values), max: Math.max(...values), n };
}
