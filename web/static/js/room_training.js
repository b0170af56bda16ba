// @ts-check
// Whether a learning room is still untrained: no episode has finished since its learning
// started (its creation, or the last restart_training). The page then offers "Train (turbo)"
// and says that the actions are random (room_view.js draws both from `room.untrained`).
// Fed by the room's RoomInfo (its policy), the charts' episodes (each with its end tick) and
// the training restarts: the join's recent room events, live room events and our own ack.

/** @import { Charts } from "./charts.js" */
/** @import { RoomInfo } from "./common.js" */
/** @import { RoomState } from "./room_state.js" */
/** @typedef {{ kind?: string, tick?: number }} RoomEventLike  a room_event (simrooms/protocol_sharing.py) */

export class Training {
  /**
   * @param {RoomState} room
   * @param {Charts} charts
   */
  constructor(room, charts) {
    this.room = room;
    this.charts = charts;
    /** @type {string | null} the room's policy, once its RoomInfo came */
    this.policy = null;
    /** the tick of the last training restart seen (-1: none) */
    this.restartTick = -1;
    /** whether the room's episode history loaded (until then the page cannot tell) */
    this.loaded = false;
  }

  /** The room's episode history is in the charts. */
  historyLoaded() {
    this.loaded = true;
    this.sync();
  }

  /** @param {RoomInfo} info */
  setInfo(info) {
    this.policy = info.policy;
    this.sync();
  }

  /** Learning restarted at `tick`. @param {number} tick */
  restarted(tick) {
    this.restartTick = Math.max(this.restartTick, tick);
    this.sync();
  }

  /** The join's recent room events: the last training restart among them. @param {RoomEventLike[] | undefined} events */
  takeEvents(events) {
    for (const event of events || []) {
      if (event.kind === "training_restarted" && typeof event.tick === "number") this.restarted(event.tick);
    }
  }

  /** Work out `room.untrained` again (after new episodes, a restart or the RoomInfo). */
  sync() {
    const since = this.restartTick;
    // An episode from a live `metrics` event has no end tick until its game_ended merges in: it
    // ended while the page watched, after any restart the page knows of.
    const trained = this.charts.episodes.some((e) => typeof e.end_tick !== "number" || e.end_tick > since);
    const untrained = this.loaded && this.policy === "learning" && !trained;
    if (untrained !== this.room.untrained) {
      this.room.untrained = untrained;
      this.room.mark("dom");
    }
  }
}
