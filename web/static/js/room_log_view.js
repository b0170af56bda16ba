// @ts-check
// The event log on the page: the lines of the room's LogBook (room_log.js), newest first, each
// stamped with the room's tick and the server time of its update (none for lines from before
// the page joined), episodes separated by a divider, filtered by the select above it (all, one
// agent, or the room's own events). The list sits in a `role="log"` box that does not speak by itself
// (at 20 updates a second its picks and drops would drown a screen reader); room events and
// episode ends are announced through a polite live region instead, at most one announcement
// every ANNOUNCE_MS, several at once summed up.

import { agentColor } from "./board.js";
import { byId, clock, el } from "./common.js";
import { ticks } from "./room_log.js";

/** @import { Figures } from "./common.js" */
/** @import { LogFilter, LogItem } from "./room_log.js" */
/** @import { RoomState } from "./room_state.js" */

const ANNOUNCE_MS = 3000;
/** The announcer keeps its last few lines (a screen reader reads the new ones). */
const ANNOUNCED_KEPT = 5;

export class LogView {
  /** @param {RoomState} room */
  constructor(room) {
    this.room = room;
    this.list = byId("log");
    this.select = /** @type {HTMLSelectElement} */ (byId("log-filter"));
    this.announcer = byId("log-announce");
    /** @type {Map<string, HTMLLIElement>} the lines drawn, by key */
    this.nodes = new Map();
    this.key = "";
    this.agents = -1;
    /** @type {string[]} room events waiting to be announced */
    this.pendingEvents = [];
    /** @type {string[]} episode ends waiting to be announced */
    this.pendingEnds = [];
    /** @type {number | undefined} */
    this.timer = undefined;
    this.lastAnnounced = 0;
    this.select.addEventListener("change", () => this.room.mark("dom"));
  }

  /** @returns {LogFilter} */
  filter() {
    const value = this.select.value;
    return value === "all" || value === "room" ? value : Number(value);
  }

  /**
   * Draw the log of what is on screen (a past tick's, while the timeline looks back).
   * @param {number} agents how many agents the room has (the filter's choices)
   * @param {Figures[]} episodes the room's finished episodes
   */
  render(agents, episodes) {
    this.setAgents(agents);
    const room = this.room;
    const past = room.past;
    const last = episodes[episodes.length - 1];
    const key = [room.log.version, this.select.value, past ? past.tick : "live", episodes.length, last?.episode, last?.end_tick].join("|");
    if (key === this.key) return;
    this.key = key;
    const items = room.log.items({ filter: this.filter(), episodes, past: past?.log, upTo: past ? past.tick : Infinity });
    /** @type {Map<string, HTMLLIElement>} */
    const nodes = new Map();
    for (const item of items) nodes.set(item.key, this.nodes.get(item.key) || lineOf(item));
    this.nodes = nodes;
    this.list.replaceChildren(...nodes.values());
    if (!items.length) this.list.append(el("li", { className: "muted log-empty", text: "Nothing yet: picks, drops, episode ends and what people do show here." }));
  }

  /** The filter's agents, when their number changed. @param {number} agents */
  setAgents(agents) {
    if (agents === this.agents) return;
    this.agents = agents;
    const chosen = this.select.value;
    const choices = [
      el("option", { value: "all", text: "all agents and events" }),
      el("option", { value: "room", text: "room events only" }),
      ...Array.from({ length: agents }, (_, i) => el("option", { value: String(i), text: `agent ${i}` })),
    ];
    this.select.replaceChildren(...choices);
    this.select.value = choices.some((o) => o.value === chosen) ? chosen : "all";
  }

  /** Say a room event (soon, with any others that come meanwhile). @param {string} text */
  announceEvent(text) {
    this.pendingEvents.push(text);
    this.flushSoon();
  }

  /** Say an episode's end (many in a row are summed up). @param {string} text */
  announceEnd(text) {
    this.pendingEnds.push(text);
    this.flushSoon();
  }

  flushSoon() {
    if (this.timer !== undefined) return;
    const wait = Math.max(0, this.lastAnnounced + ANNOUNCE_MS - Date.now());
    this.timer = window.setTimeout(() => this.flush(), wait);
  }

  flush() {
    this.timer = undefined;
    // The same event several times (someone stepping) is said once, with how many.
    /** @type {Map<string, number>} */
    const counts = new Map();
    for (const text of this.pendingEvents) counts.set(text, (counts.get(text) || 0) + 1);
    const parts = [...counts].map(([text, n]) => (n > 1 ? `${text} (${n} times)` : text));
    const ends = this.pendingEnds;
    if (ends.length === 1) parts.push(ends[0]);
    else if (ends.length > 1) parts.push(`${ends.length} episodes ended; the last: ${ends[ends.length - 1]}`);
    this.pendingEvents = [];
    this.pendingEnds = [];
    if (!parts.length) return;
    this.lastAnnounced = Date.now();
    this.announcer.append(el("p", { text: `${parts.join(". ")}.` }));
    while (this.announcer.children.length > ANNOUNCED_KEPT) this.announcer.firstElementChild?.remove();
  }
}

/** @param {LogItem} item */
function lineOf(item) {
  const time = item.ts
    ? el("time", { className: "t", dateTime: new Date(item.ts).toISOString(), text: clock(item.ts) })
    : el("span", { className: "t", title: "Before you joined: no server time", text: "" });
  const who = item.agent === null ? null : el("span", { className: "swatch", style: `background:${agentColor(item.agent)}` });
  return el("li", { className: `log-${item.kind}`, dataset: { kind: item.kind, tick: item.tick, agent: item.agent ?? "" } },
    time, el("span", { className: "tick", text: `t ${ticks(item.tick)}` }), el("span", { className: "what" }, who, item.text));
}
