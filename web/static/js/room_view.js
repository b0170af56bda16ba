// @ts-check
// The room page's rendering: on requestAnimationFrame, from the latest state only, so a fast
// room never queues frames; each part only when the state marked it (room_state.js). The board,
// stats, agents and log show what the timeline picked (the live state, or a past one); the head
// and the controls are the live room's. A room that is gone shows an empty, dimmed board. The
// head, the board's legend and the controls are here; the stat cards in room_stats.js, the agents
// table in room_agents.js, the inspector in room_inspector.js, the event log in room_log_view.js,
// the world in words in room_summary.js, who is watching in room_panels.js, the timeline in
// room_timeline.js (drawn through the `renderDom` hook).

import { legendIcons } from "./board_paint.js";
import { CONTROL_ROLES, byId, el, page, setText, speedLabel } from "./common.js";
import { AgentsTable } from "./room_agents.js";
import { InspectorView } from "./room_inspector.js";
import { LogView } from "./room_log_view.js";
import { renderPresence } from "./room_panels.js";
import { StatCards } from "./room_stats.js";
import { WorldSummary } from "./room_summary.js";

/** @import { Board } from "./board.js" */
/** @import { Figures, GameEnded, Snapshot } from "./common.js" */
/** @import { RoomState } from "./room_state.js" */
/**
 * What the view asks of the rest of the page; `renderDom` draws the page's other parts that
 * follow the state (the timeline, the fork form); `episodes` are the room's finished episodes
 * in episode order (the charts hold them).
 * @typedef {{ connected: () => boolean, select: (id: number | null) => void,
 *   grant: (user: string, allow: boolean) => void, renderDom?: () => void,
 *   episodes: () => Figures[] }} ViewHooks
 */

const button = (/** @type {string} */ id) => /** @type {HTMLButtonElement} */ (byId(id));
const input = (/** @type {string} */ id) => /** @type {HTMLInputElement} */ (byId(id));

/** The elements of room.html the page fills in or listens to. */
function roomElements() {
  return {
    title: byId("room-title"), runState: byId("run-state"), role: byId("my-role"), banner: byId("room-banner"),
    boardWrap: byId("board-wrap"), gone: byId("room-gone"), goneReason: byId("room-gone-reason"),
    start: button("btn-start"), stop: button("btn-stop"), step: button("btn-step"), reset: button("btn-reset"),
    speed: input("speed"), speedOut: byId("speed-out"), turbo: input("turbo"), note: byId("control-note"),
    agents: byId("agents-body"), log: byId("log"), presence: byId("presence"), presenceCount: byId("presence-count"),
    legend: byId("legend"),
    episodeNote: byId("episode-note"),
  };
}

export class RoomView {
  /**
   * @param {RoomState} room
   * @param {Board} board
   * @param {ViewHooks} hooks
   */
  constructor(room, board, hooks) {
    this.room = room;
    this.board = board;
    this.hooks = hooks;
    this.ui = roomElements();
    this.frame = 0;
    this.legendKey = "";
    this.agents = new AgentsTable(this.ui.agents, (id) => hooks.select(room.selected === id ? null : id));
    this.stats = new StatCards();
    this.log = new LogView(room);
    this.inspector = new InspectorView(room);
    this.summary = new WorldSummary(room);
  }

  schedule() {
    if (!this.frame) this.frame = requestAnimationFrame(() => this.render());
  }

  render() {
    this.frame = 0;
    const { dirty } = this.room;
    const s = this.room.state;
    const shown = this.room.deleted ? null : this.room.shown();
    if (dirty.board) {
      dirty.board = false;
      if (shown) {
        this.board.draw(shown);
        this.renderLegend(shown.legend);
      } else if (this.room.deleted) {
        this.board.clear();
      }
    }
    if (dirty.dom) {
      dirty.dom = false;
      this.renderHead(s);
      this.renderControls(s);
      this.renderGone();
      if (shown) {
        const episodes = this.hooks.episodes();
        this.stats.render(shown, episodes);
        this.agents.render(shown.agents, this.room.selected, shown);
        this.log.render(shown.agents.length, episodes);
      }
      this.summary.touch();
      this.hooks.renderDom?.();
    }
    if (dirty.presence) {
      dirty.presence = false;
      renderPresence(this.ui.presence, this.ui.presenceCount, this.room, this.hooks.grant);
      this.room.mark("dom"); // the controls' note names the owner
    }
    if (dirty.inspect) {
      dirty.inspect = false;
      this.inspector.render(this.hooks.episodes());
    }
  }

  /** A room that is gone: no stale board, stats or tables; a way back to the lobby. */
  renderGone() {
    const { ui, room } = this;
    const gone = room.deleted;
    ui.boardWrap.classList.toggle("gone", gone);
    if (gone === !ui.gone.hidden) return;
    ui.gone.hidden = !gone;
    if (!gone) return;
    setText(ui.goneReason, room.goneReason);
    this.hideBanner();
    this.stats.clear();
    this.agents.render([], null);
    ui.log.replaceChildren();
    ui.legend.replaceChildren();
    this.legendKey = "";
  }

  /** @param {string} text */
  showBanner(text) {
    this.ui.banner.textContent = text;
    this.ui.banner.hidden = false;
  }

  hideBanner() {
    this.ui.banner.hidden = true;
  }

  /** @param {GameEnded} m */
  showEpisodeEnd(m) {
    const why = /** @type {Record<string, string>} */ ({ terminated: "all out of energy", truncated: "tick limit", reset: "reset" })[m.reason] || m.reason;
    setText(this.ui.episodeNote, `· episode ${m.episode} ended at tick ${m.tick} (${why}), ${m.stats?.products_created ?? 0} products`);
  }

  /** @param {Snapshot | null} s */
  renderHead(s) {
    const { ui, room } = this;
    if (s) setText(ui.title, s.room);
    const running = !!s?.running && !room.deleted;
    setText(ui.runState, room.deleted ? "gone" : s ? (running ? "running" : "stopped") : "…");
    ui.runState.className = `badge ${running ? "badge-running" : "badge-stopped"}`;
    if (room.role) {
      setText(ui.role, room.role);
      ui.role.className = `badge badge-${room.role}`;
    }
    const shown = room.shown();
    const at = room.deleted ? "gone" : shown ? `tick ${shown.tick}${room.viewing !== null ? " (past)" : ""}` : "tick –";
    document.title = `${s ? s.room : page.room} · ${at} · simrooms`;
  }

  /**
   * The legend: each kind of cell, an agent, one carrying, one out of energy and a goal arrow,
   * each with an icon the board's own drawing code paints.
   * @param {Record<string, string>} legend
   */
  renderLegend(legend) {
    const key = JSON.stringify(legend || {});
    if (key === this.legendKey) return;
    this.legendKey = key;
    this.ui.legend.replaceChildren(
      ...legendIcons(legend).map((entry) => el("span", { role: "listitem", dataset: { kind: entry.key } }, entry.icon, entry.text)),
    );
  }

  /** @param {Snapshot | null} s */
  renderControls(s) {
    const { ui, room } = this;
    const connected = this.hooks.connected();
    const allowed = room.canControl(connected);
    const running = !!s?.running;
    ui.start.disabled = !allowed || running || room.busy;
    ui.stop.disabled = !allowed || !running || room.busy;
    ui.step.disabled = !allowed || running || room.busy;
    ui.reset.disabled = !allowed || room.busy;
    ui.turbo.disabled = !allowed;
    const speed = s?.speed;
    if (!room.draggingSpeed) {
      ui.turbo.checked = speed === "max";
      if (typeof speed === "number") ui.speed.value = String(speed);
    }
    ui.speed.disabled = !allowed || ui.turbo.checked;
    const shown = ui.turbo.checked ? "max" : room.draggingSpeed ? Number(ui.speed.value) : speed ?? Number(ui.speed.value);
    setText(ui.speedOut, speedLabel(shown));
    let note = "";
    if (!connected) note = "Disconnected: controls come back when the connection does.";
    else if (room.deleted) note = "This room is gone: there is nothing to control.";
    else if (room.joined && !CONTROL_ROLES.has(room.role)) {
      const owner = room.owner ? ` (${room.owner})` : "";
      note = `You are an observer: only the room's owner${owner}, users it granted control and admins can start, stop, step, reset or change the speed. Ask the owner to grant you control.`;
    }
    setText(ui.note, note);
    ui.note.hidden = !note;
  }
}
