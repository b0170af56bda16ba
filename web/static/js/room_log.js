// @ts-check
// What the event log holds, without DOM (room_log_view.js draws it): the room's action entries
// (picks, drops, agents running out of energy: the Snapshot's log and each delta's new entries),
// the room's own events (`room_event`, and the recent ones of the join ack) and the ends of its
// episodes (from the charts' episode history: game_ended adds to it), merged in tick order and
// written in words. Each entry keeps the server time of the update that brought it; entries a
// full Snapshot brought (from before the page joined) have none and show their tick only.

import { speedLabel } from "./common.js";

/** @import { Figures, LogEntry } from "./common.js" */
/**
 * A `room_event`: who did what to the room, at which tick and server time (epoch ms).
 * @typedef {{ room: string, tick: number, ts: number, kind: string, user: string | null,
 *   detail: string | null }} RoomEvent
 */
/** @typedef {"action" | "room" | "episode"} ItemKind */
/**
 * One line of the log: `agent` is the agent concerned (actions only); `ts` 0 when unknown.
 * @typedef {{ key: string, kind: ItemKind, tick: number, ts: number, seq: number,
 *   agent: number | null, text: string }} LogItem
 */
/** @typedef {"all" | "room" | number} LogFilter  every line, the room's events only, or one agent's */

/** The log keeps this many action entries and this many room events at most. */
export const ACTIONS_KEPT = 120;
export const EVENTS_KEPT = 100;
/** Episode dividers kept when nothing else bounds them (a log of room events only). */
const EPISODES_KEPT = 50;

/** Within one tick: the agents' actions first, then what people did, then the episode's end. */
const RANK = { action: 0, room: 1, episode: 2 };

const ACTION_WORDS = /** @type {Record<string, string>} */ ({
  pick: "picked up a resource",
  drop: "made products at a factory",
  out_of_energy: "ran out of energy",
});

const REASON_WORDS = /** @type {Record<string, string>} */ ({
  terminated: "every agent out of energy",
  truncated: "tick limit reached",
  reset: "reset",
});

/** @param {string} reason a game_ended reason */
export function reasonText(reason) {
  return REASON_WORDS[reason] || reason;
}

/** @param {number} n */
export function ticks(n) {
  return n.toLocaleString("en-US");
}

/**
 * A room event in words: "alice started the room", "bob set the speed to 2.5×".
 * @param {RoomEvent} e
 */
export function roomEventText(e) {
  const who = e.user ?? "The server";
  const detail = e.detail ?? "";
  switch (e.kind) {
    case "started": return `${who} started the room`;
    case "stopped": return `${who} stopped the room`;
    case "stepped": return `${who} stepped one tick`;
    case "reset": return `${who} ended the episode (reset)`;
    case "speed": {
      const speed = detail === "max" ? "max (turbo)" : speedLabel(Number(detail));
      return `${who} set the speed to ${speed}`;
    }
    case "training_restarted": return `${who} restarted training (fresh weights)`;
    case "granted": return `${who} granted control to ${detail}`;
    case "revoked": return `${who} revoked ${detail}'s control`;
    case "joined": return `${who} joined`;
    case "left": return `${who} left`;
    case "control_requested": return `${who} asked for control`;
    case "renamed": return `${who} renamed the room (it was “${detail}”)`;
    default: return `${who}: ${e.kind}${detail ? ` ${detail}` : ""}`;
  }
}

/**
 * An ended episode's line: "Episode 4 ended: tick limit reached, 12 products".
 * @param {Figures} figures an episode of the history (end_tick, reason, products_created)
 */
export function episodeEndText(figures) {
  const products = figures.products_created ?? figures.products;
  const made = typeof products === "number" ? `, ${products} product${products === 1 ? "" : "s"}` : "";
  return `Episode ${figures.episode} ended: ${reasonText(String(figures.reason ?? "ended"))}${made}`;
}

/**
 * An episode of the history as a divider of the log, or null without an end tick.
 * @param {Figures} figures
 * @returns {LogItem | null}
 */
export function episodeItem(figures) {
  if (typeof figures.end_tick !== "number") return null;
  const ended = typeof figures.ended_at === "string" ? Date.parse(figures.ended_at) : NaN;
  return {
    key: `e:${figures.episode}`, kind: "episode", tick: figures.end_tick, ts: Number.isFinite(ended) ? ended : 0,
    seq: figures.episode, agent: null, text: episodeEndText(figures),
  };
}

/** @param {LogItem} a @param {LogItem} b */
function order(a, b) {
  return a.tick - b.tick || RANK[a.kind] - RANK[b.kind] || a.seq - b.seq;
}

export class LogBook {
  constructor() {
    /** @type {Map<string, LogItem>} action entries by tick, agent and action, oldest first */
    this.actions = new Map();
    /** @type {Map<string, LogItem>} room events, oldest first */
    this.events = new Map();
    this.seq = 0;
    /** counts changes: the view redraws when it moved */
    this.version = 0;
  }

  /**
   * Action entries (a Snapshot's log, or a delta's new entries); entries already here keep the
   * time they came with.
   * @param {LogEntry[]} entries
   * @param {number} ts the server time of their update; 0: unknown (a full Snapshot's)
   */
  addEntries(entries, ts) {
    let added = false;
    for (const entry of entries) {
      const key = actionKey(entry);
      if (this.actions.has(key)) continue;
      this.actions.set(key, actionItem(entry, ts, ++this.seq));
      added = true;
    }
    if (!added) return;
    // A full Snapshot's entries may be older than those here: keep the newest by tick.
    if (ts === 0) sortMap(this.actions);
    trim(this.actions, ACTIONS_KEPT);
    this.version++;
  }

  /**
   * Room events (the join ack's, or one `room_event`); one given twice is kept once.
   * @param {RoomEvent[]} events
   */
  addRoomEvents(events) {
    let added = false;
    for (const e of events) {
      const key = `r:${e.ts}:${e.kind}:${e.user}:${e.detail}`;
      if (this.events.has(key)) continue;
      this.events.set(key, { key, kind: "room", tick: e.tick, ts: e.ts, seq: ++this.seq, agent: null, text: roomEventText(e) });
      added = true;
    }
    if (!added) return;
    sortMap(this.events);
    trim(this.events, EVENTS_KEPT);
    this.version++;
  }

  /**
   * The log's lines, newest first.
   * @param {object} what
   * @param {LogFilter} what.filter
   * @param {Figures[]} what.episodes the room's finished episodes, in episode order
   * @param {LogEntry[]} [what.past] a past Snapshot's log, shown instead of the live entries
   * @param {number} [what.upTo] show nothing after this tick (a past tick on screen)
   * @returns {LogItem[]}
   */
  items({ filter, episodes, past, upTo = Infinity }) {
    const actions = past ? past.map((e) => this.actions.get(actionKey(e)) || actionItem(e, 0, 0)) : [...this.actions.values()];
    /** @type {LogItem[]} */
    const lines = [];
    if (filter !== "room") lines.push(...actions.filter((a) => filter === "all" || a.agent === filter));
    if (filter === "all" || filter === "room") lines.push(...this.events.values());
    const shown = lines.filter((item) => item.tick <= upTo);
    // Dividers between the episodes the lines span (the last ones when there is no line).
    const from = shown.length ? Math.min(...shown.map((item) => item.tick)) : -Infinity;
    let dividers = 0;
    for (let i = episodes.length - 1; i >= 0 && dividers < EPISODES_KEPT; i--) {
      const item = episodeItem(episodes[i]);
      if (!item || item.tick > upTo) continue;
      if (item.tick < from) break;
      shown.push(item);
      dividers++;
    }
    return shown.sort(order).reverse();
  }
}

/** One agent does one action a tick at most: its tick, agent and action name it. @param {LogEntry} e */
function actionKey(e) {
  return `a:${e.tick}:${e.agent}:${e.action}`;
}

/**
 * An action entry's line.
 * @param {LogEntry} entry
 * @param {number} ts the server time of its update (0: unknown)
 * @param {number} seq
 * @returns {LogItem}
 */
function actionItem(entry, ts, seq) {
  return {
    key: actionKey(entry), kind: "action", tick: entry.tick, ts, seq, agent: entry.agent,
    text: `agent ${entry.agent} ${ACTION_WORDS[entry.action] || entry.action}`,
  };
}

/** Re-insert a map's items in tick order. @param {Map<string, LogItem>} map */
function sortMap(map) {
  const items = [...map.values()].sort(order);
  map.clear();
  for (const item of items) map.set(item.key, item);
}

/** Drop the oldest items beyond `max`. @param {Map<string, LogItem>} map @param {number} max */
function trim(map, max) {
  for (const key of map.keys()) {
    if (map.size <= max) break;
    map.delete(key);
  }
}
