// @ts-check
// The world in words for screen readers: a visually hidden `role="status"` region, rewritten
// at most every EVERY_MS (a room at 20 updates a second would never stop talking otherwise),
// and only when its words changed: "Tick 1,240, episode 3, running: 12 products; agent 0
// carrying 1 to a factory, agent 1 out of energy, ...".

import { byId, setText } from "./common.js";
import { doingText } from "./room_agents.js";
import { ticks } from "./room_log.js";

/** @import { RoomState } from "./room_state.js" */

export const EVERY_MS = 5000;

/** @param {RoomState} room */
export function summaryText(room) {
  const s = room.shown();
  if (room.deleted || !s) return "";
  const when = room.viewing !== null ? ", looking back at the past" : s.running ? ", running" : ", stopped";
  const products = s.stats?.products_created ?? 0;
  const agents = s.agents.map((a) => `agent ${a.id} ${doingText(a, s)}`).join(", ");
  return `Tick ${ticks(s.tick)}, episode ${s.episode}${when}: ${products} product${products === 1 ? "" : "s"} this episode; ${agents}.`;
}

export class WorldSummary {
  /** @param {RoomState} room */
  constructor(room) {
    this.room = room;
    this.box = byId("world-summary");
    this.last = 0;
    /** @type {number | undefined} */
    this.timer = undefined;
  }

  /** The state changed: say so when EVERY_MS passed since the last time (then, with what is current). */
  touch() {
    if (this.timer !== undefined) return;
    const wait = Math.max(0, this.last + EVERY_MS - Date.now());
    this.timer = window.setTimeout(() => {
      this.timer = undefined;
      this.last = Date.now();
      setText(this.box, summaryText(this.room));
    }, wait);
  }
}
