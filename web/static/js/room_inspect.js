// @ts-check
// The inspected agent's figures by tick, without DOM (room_inspector.js draws them). The
// server reads them at most 10 times a second at the room's tick of that moment, which in a fast
// room is not the tick the board shows (its updates come on their own schedule): so the page
// keeps the last few and shows the board's tick's when it has them, else the nearest (and says
// which tick they are of). Figures of an episode before the board's, or read at the
// tick its previous episode ended (a reset's tick: the policy has not decided yet in the new
// episode), are not shown.

/** @import { AgentInspect } from "./common.js" */

/** Figures kept, by tick. */
const KEPT = 64;

export class InspectFigures {
  constructor() {
    /** @type {Map<number, AgentInspect>} by tick, oldest first */
    this.byTick = new Map();
  }

  clear() {
    this.byTick.clear();
  }

  /** @param {AgentInspect} figures */
  add(figures) {
    this.byTick.delete(figures.tick);
    this.byTick.set(figures.tick, figures);
    for (const tick of this.byTick.keys()) {
      if (this.byTick.size <= KEPT) break;
      this.byTick.delete(tick);
    }
  }

  /**
   * The figures to show beside the board: of its tick, else of the nearest tick (the earlier of
   * two as near); none of another episode or of its start.
   * @param {number} tick the board's tick
   * @param {number} episode the board's episode
   * @param {number} started the tick the previous episode ended at (-1: none)
   * @returns {AgentInspect | null}
   */
  pick(tick, episode, started) {
    /** @type {AgentInspect | null} */
    let best = null;
    let distance = Infinity;
    for (const figures of this.byTick.values()) {
      if (figures.episode !== episode || figures.tick <= started) continue;
      const d = Math.abs(figures.tick - tick);
      if (d < distance || (d === distance && best !== null && figures.tick < best.tick)) {
        best = figures;
        distance = d;
      }
    }
    return best;
  }
}
