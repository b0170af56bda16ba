// @ts-check
// The room page: joins the room over Socket.IO and hands what the server sends to the room's
// state (room_state.js), which the view draws on animation frames (room_view.js and its panels);
// the controls send what the user does (room_controls.js); the timeline looks back at the room's
// past (room_timeline.js) and forks it (room_fork.js); the charts start from the room's whole
// episode history (room_history.js), which the stat cards, the event log's episode dividers and
// the inspector read too. The room's own events (who started it, who joined...) go to the event
// log. Reconnects rejoin and resync from a full snapshot. A room that is deleted, or is not there
// when the page opens, shows as gone.

import { Board } from "./board.js";
import { Charts } from "./charts.js";
import { byId, connect, page, request, toast } from "./common.js";
import { RoomControls } from "./room_controls.js";
import { ForkForm } from "./room_fork.js";
import { fetchBaselines } from "./curves.js";
import { RoomFacts } from "./room_facts.js";
import { fetchEpisodes } from "./room_history.js";
import { episodeEndText, roomEventText } from "./room_log.js";
import { RoomState } from "./room_state.js";
import { Timeline } from "./room_timeline.js";
import { RoomView } from "./room_view.js";

/** @import { AgentInspect, Figures, GameEnded, GameEvent, Presence, RoomError, RoomInfo, Snapshot, StateUpdate } from "./common.js" */
/** @import { RoomEvent } from "./room_log.js" */

const room = new RoomState(String(page.room || ""));
const board = new Board(
  /** @type {HTMLCanvasElement} */ (byId("board")), /** @type {HTMLCanvasElement} */ (byId("board-overlay")), byId("board-wrap"),
);
const view = new RoomView(room, board, {
  connected: () => socket.connected,
  select: (id) => controls.selectAgent(id),
  grant: (user, allow) => controls.grant(user, allow),
  renderDom: () => {
    timeline.render();
    fork.render();
    facts.render(room.state?.speed);
    if (room.state) charts.setAgents(room.state.agents.length);
  },
  episodes: () => charts.episodes,
});
const facts = new RoomFacts(byId("room-facts"));
room.onChange = () => view.schedule();
board.onResize = () => view.schedule();
const charts = new Charts(String(page.room || ""));
/** whether the baselines were asked for (once per page: they depend on the room's config only) */
let baselinesAsked = false;
/** @type {Promise<void> | null} the episodes request under way */
let historyLoading = null;

const socket = connect({
  onConnect: () => join(),
  onDisconnect: () => {
    room.joined = false;
    room.mark("dom");
  },
});
const controls = new RoomControls(room, view, board, socket);
const timeline = new Timeline(room, socket);
const fork = new ForkForm(room, socket);
window.simrooms = { view: room, board, charts, timeline }; // for tests and the curious

async function join() {
  const seq = ++room.joinSeq;
  room.fullSinceJoin = false;
  const ack = await request(socket, "join_room", { room: page.room });
  if (seq !== room.joinSeq) return;
  if (!ack.ok) {
    if (ack.error.code === "not_found") {
      gone(`There is no room named “${page.room}” (or it is private).`);
      return;
    }
    view.showBanner(ack.error.message);
    room.joined = false;
    room.mark("dom");
    return;
  }
  view.hideBanner();
  room.joined = true;
  room.deleted = false;
  room.setRole(ack.role);
  // The room's recent events (who started it, who joined...), from before the page joined.
  room.log.addRoomEvents(/** @type {{ events?: RoomEvent[] }} */ (ack).events || []);
  // The full state_update event comes before this ack; deltas may follow it before the ack.
  // Take the ack's snapshot only when nothing newer is here.
  if (!room.fullSinceJoin || !room.state || ack.state.tick > room.state.tick) {
    replaceState(ack.state, Date.now());
  }
  if (room.selected !== null) controls.inspect(room.selected);
  loadHistory();
  loadInfo();
}

/** The room's RoomInfo (policy, seed, config, worlds...) for the header, from list_rooms. */
async function loadInfo() {
  const ack = await request(socket, "list_rooms", {});
  if (ack.ok) takeInfo(ack.rooms);
  if (!baselinesAsked) {
    baselinesAsked = true;
    fetchBaselines(String(page.room || "")).then((values) => values && charts.setBaselines(values));
  }
}

/** @param {RoomInfo[]} rooms */
function takeInfo(rooms) {
  const info = rooms.find((r) => r.name.toLowerCase() === room.roomKey);
  if (!info) return;
  room.owner = info.owner;
  room.policy = info.policy;
  view.stats.setConfig(info.config?.world ?? null);
  facts.setInfo(info);
  charts.setAgents(info.agents);
  room.mark("dom");
}

/** The room's whole episode history into the charts (again on each join: a reconnect may have
 * missed episodes; the charts merge by episode number). */
function loadHistory() {
  if (historyLoading) return;
  historyLoading = fetchEpisodes(String(page.room || "")).then((episodes) => {
    historyLoading = null;
    if (episodes) charts.setHistory(episodes);
    else toast("The room's episode history did not load.", "error");
    room.mark("dom", "inspect"); // the stat cards' past episodes, the log's dividers
  });
}

/** The room is gone: stop looking back, forget the inspected agent, show it. @param {string} reason */
function gone(reason) {
  timeline.pause();
  if (room.selected !== null) controls.selectAgent(null);
  room.setGone(reason);
}

/** Take a whole Snapshot; stop inspecting an agent it no longer has. @param {Snapshot} snapshot @param {number} ts */
function replaceState(snapshot, ts) {
  room.replace(snapshot, ts);
  if (room.selected !== null && !room.hasAgent(room.selected)) controls.selectAgent(null);
}

socket.on("state_update", (/** @type {StateUpdate} */ update) => {
  if (!room.isMine(update)) return;
  if (update.full) {
    const { ts, full, ...snapshot } = update;
    room.fullSinceJoin = true;
    replaceState(snapshot, ts);
  } else if (!room.takeDelta(update)) {
    join();
  }
});

socket.on("presence", (/** @type {Presence} */ m) => room.isMine(m) && room.setPresence(m.users || [], page.user));
socket.on("game_started", (/** @type {GameEvent} */ m) => room.isMine(m) && room.setRunning(true, m.tick));
socket.on("game_stopped", (/** @type {GameEvent} */ m) => room.isMine(m) && room.setRunning(false, m.tick));
socket.on("game_ended", (/** @type {GameEnded} */ m) => {
  if (!room.isMine(m)) return;
  view.showEpisodeEnd(m);
  const stats = m.stats || {};
  /** @type {Figures} */
  const figures = { episode: m.episode, end_tick: m.tick, reason: m.reason, ...stats, products: stats.products_created,
    ended_at: new Date(room.stateTs).toISOString() };
  charts.add(figures);
  view.log.announceEnd(episodeEndText(figures));
  room.mark("dom", "inspect");
});
socket.on("room_event", (/** @type {RoomEvent} */ m) => {
  if (!room.isMine(m)) return;
  room.log.addRoomEvents([m]);
  view.log.announceEvent(roomEventText(m));
  room.mark("dom");
});
socket.on("metrics", (/** @type {Figures & { room: string }} */ m) => room.isMine(m) && charts.add(m));
socket.on("room_error", (/** @type {RoomError} */ m) => {
  if (!room.isMine(m)) return;
  view.showBanner(m.message);
  toast("The room stopped after an error.", "error");
});
socket.on("room_deleted", (/** @type {{ room: string }} */ m) => {
  if (room.isMine(m)) gone("It was deleted.");
});
socket.on("membership_ended", (/** @type {{ room: string, reason: string }} */ m) => {
  if (room.isMine(m)) gone(m.reason);
});
socket.on("room_list", (/** @type {{ rooms?: RoomInfo[] }} */ m) => takeInfo(m.rooms || []));
socket.on("agent_inspect", (/** @type {AgentInspect} */ m) => {
  if (room.isMine(m) && m.agent === room.selected) controls.showInspect(m);
});

controls.listen();
timeline.listen();
fork.listen();
view.schedule();
