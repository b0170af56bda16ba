// @ts-check
// The room page's state: the latest Snapshot (a full one replaces it, deltas change it in place
// as they arrive), the past Snapshot the timeline shows instead while the user looks back, the
// user's role, who is watching, the inspected agent and its figures by tick (room_inspect.js),
// what the event log holds (room_log.js), whether the room is gone, and which parts of the page
// are to redraw. No DOM here: `onChange` (the view's schedule) runs when a part is marked.

import { CONTROL_ROLES } from "./common.js";
import { applyDelta } from "./delta.js";
import { InspectFigures } from "./room_inspect.js";
import { LogBook } from "./room_log.js";

/** @import { AgentInspect, PresenceUser, Role, Snapshot, StateUpdate } from "./common.js" */
/** @typedef {{ board: boolean, dom: boolean, inspect: boolean, presence: boolean }} Dirty */

export class RoomState {
  /** @param {string} room the page's room */
  constructor(room) {
    this.roomKey = room.toLowerCase();
    /** @type {Snapshot | null} the latest Snapshot */
    this.state = null;
    /** server time of the update that gave it */
    this.stateTs = 0;
    /** @type {Role | null} */
    this.role = null;
    /** @type {string | null} */
    this.owner = null;
    /** @type {string | null} the room's policy (from its RoomInfo) */
    this.policy = null;
    this.joined = false;
    this.joinSeq = 0;
    this.fullSinceJoin = false;
    /** the room was deleted or is not there: the page shows it gone */
    this.deleted = false;
    /** @type {string} why it is gone */
    this.goneReason = "";
    /** @type {number | null} the tick the timeline asked for; null: live */
    this.viewing = null;
    /** @type {Snapshot | null} what the timeline shows while not live (the live state goes on in `state`) */
    this.past = null;
    /** @type {PresenceUser[]} */
    this.presence = [];
    /** @type {number | null} the inspected agent's id */
    this.selected = null;
    /** @type {AgentInspect | null} the latest agent_inspect payload */
    this.inspect = null;
    /** the inspected agent's recent figures, by tick */
    this.figures = new InspectFigures();
    /** @type {Dirty} */
    this.dirty = { board: true, dom: true, inspect: true, presence: true };
    this.busy = false;
    this.draggingSpeed = false;
    /** the event log's lines */
    this.log = new LogBook();
    /** Runs when a part is marked to redraw. */
    this.onChange = () => {};
  }

  /**
   * Whether a server event is about this room.
   * @param {{ room?: unknown } | null | undefined} message
   */
  isMine(message) {
    return !!message && String(message.room).toLowerCase() === this.roomKey;
  }

  /** @param {boolean} connected whether the socket is */
  canControl(connected) {
    return this.joined && !this.deleted && CONTROL_ROLES.has(this.role) && connected;
  }

  /** @param {number} id */
  hasAgent(id) {
    return !!this.state && this.state.agents.some((a) => a.id === id);
  }

  /**
   * Mark parts of the page to redraw.
   * @param {...keyof Dirty} parts
   */
  mark(...parts) {
    for (const part of parts) this.dirty[part] = true;
    this.onChange();
  }

  /** The Snapshot on screen: the past one while the timeline looks back, else the live one. */
  shown() {
    return this.past || this.state;
  }

  /** Mark what a new state changes: the board and the page, and the inspector when in use.
   * While the page shows the past, a live change only moves the timeline (part of "dom"). */
  markAll() {
    if (this.viewing !== null) {
      this.mark("dom");
      return;
    }
    this.dirty.board = true;
    this.dirty.dom = true;
    if (this.selected !== null) this.dirty.inspect = true;
    this.onChange();
  }

  /**
   * Take a whole Snapshot (its log's entries that the event log lacks have no server time: they
   * are from before this update).
   * @param {Snapshot} snapshot
   * @param {number} [ts] the server time of the update that gave it
   */
  replace(snapshot, ts) {
    this.state = structuredClone(snapshot);
    this.stateTs = ts || Date.now();
    this.log.addEntries(snapshot.log, 0);
    this.markAll();
  }

  /**
   * Apply a state_update that is a delta. False when it did not apply: then resync.
   * @param {StateUpdate} update
   */
  takeDelta(update) {
    if (!this.state) return true; // a full one comes first
    try {
      const { ts, full, ...delta } = update;
      const added = applyDelta(this.state, delta);
      this.stateTs = update.ts;
      this.log.addEntries(added, update.ts);
    } catch (error) {
      console.warn("A delta did not apply; resyncing.", error);
      return false;
    }
    this.markAll();
    return true;
  }

  /** game_started and game_stopped: unless the state is newer. @param {boolean} running @param {number} tick */
  setRunning(running, tick) {
    if (this.state && tick >= this.state.tick) {
      this.state.running = running;
      this.markAll();
    }
  }

  /** @param {Role} role */
  setRole(role) {
    if (this.role !== role) {
      this.role = role;
      this.mark("dom", "presence");
    }
  }

  /**
   * Who is watching (a presence event); it tells the user's role and the room's owner too.
   * @param {PresenceUser[]} users
   * @param {string | undefined} me the user's name
   */
  setPresence(users, me) {
    this.presence = users;
    const mine = users.find((u) => u.name === me);
    if (mine) this.setRole(mine.role);
    const owner = users.find((u) => u.role === "owner");
    if (owner) this.owner = owner.name;
    this.mark("presence");
  }

  /** The room is gone (deleted, or not there when the page opened). @param {string} reason */
  setGone(reason) {
    this.deleted = true;
    this.goneReason = reason;
    this.joined = false;
    this.presence = [];
    this.viewing = null;
    this.past = null;
    this.mark("board", "dom", "presence", "inspect");
  }

  /**
   * Look at a past tick: the page freezes on what it shows until that tick's Snapshot comes.
   * @param {number} tick
   */
  view(tick) {
    if (this.viewing === null) this.past = this.state ? structuredClone(this.state) : null;
    this.viewing = tick;
    this.mark("dom");
  }

  /** A past tick's Snapshot (get_state with a tick) to show. @param {Snapshot} snapshot */
  setPast(snapshot) {
    if (this.viewing === null) return;
    this.past = snapshot;
    this.mark("board", "dom");
  }

  /** Back to the live state, which the deltas kept current meanwhile. */
  goLive() {
    if (this.viewing === null) return;
    this.viewing = null;
    this.past = null;
    this.markAll();
  }

  /**
   * Inspect another agent (or none): its figures are to come. False when it is the same.
   * @param {number | null} id
   */
  select(id) {
    if (this.selected === id) return false;
    this.selected = id;
    this.inspect = null;
    this.figures.clear();
    this.dirty.inspect = true;
    this.markAll();
    return true;
  }

  /** The inspected agent's latest figures. @param {AgentInspect} figures */
  setInspect(figures) {
    this.inspect = figures;
    this.figures.add(figures);
    this.mark("inspect");
  }
}
