// @ts-check
// The room page: joins the room over Socket.IO and hands what the server sends to the room's
// state (room_state.js), which the view draws on animation frames (room_view.js, room_panels.js);
// the controls send what the user does (room_controls.js). Reconnects rejoin and resync from a
// full snapshot.

import { Board } from "./board.js";
import { Charts } from "./charts.js";
import { byId, connect, page, request, toast } from "./common.js";
import { RoomControls } from "./room_controls.js";
import { RoomState } from "./room_state.js";
import { RoomView } from "./room_view.js";

/** @import { AgentInspect, Figures, GameEnded, GameEvent, Presence, RoomError, RoomInfo, Snapshot, StateUpdate } from "./common.js" */

const room = new RoomState(String(page.room || ""));
const board = new Board(
  /** @type {HTMLCanvasElement} */ (byId("board")), /** @type {HTMLCanvasElement} */ (byId("board-overlay")), byId("board-wrap"),
);
const view = new RoomView(room, board, {
  connected: () => socket.connected,
  select: (id) => controls.selectAgent(id),
  grant: (user, allow) => controls.grant(user, allow),
});
room.onChange = () => view.schedule();
board.onResize = () => view.schedule();
const charts = new Charts();
window.simrooms = { view: room, board, charts }; // for tests and the curious

const socket = connect({
  onConnect: () => join(),
  onDisconnect: () => {
    room.joined = false;
    room.mark("dom");
  },
});
const controls = new RoomControls(room, view, board, socket);

async function join() {
  const seq = ++room.joinSeq;
  room.fullSinceJoin = false;
  const ack = await request(socket, "join_room", { room: page.room });
  if (seq !== room.joinSeq) return;
  if (!ack.ok) {
    view.showBanner(ack.error.code === "not_found" ? `There is no room named “${page.room}” (or it is private).` : ack.error.message);
    room.joined = false;
    room.mark("dom");
    return;
  }
  view.hideBanner();
  room.joined = true;
  room.deleted = false;
  room.setRole(ack.role);
  // The full state_update event comes before this ack; deltas may follow it before the ack.
  // Take the ack's snapshot only when nothing newer is here.
  if (!room.fullSinceJoin || !room.state || ack.state.tick > room.state.tick) {
    replaceState(ack.state, Date.now());
  }
  if (room.selected !== null) controls.inspect(room.selected);
  const history = await request(socket, "metrics_history", { room: page.room });
  if (history.ok && Array.isArray(history.episodes)) charts.setHistory(history.episodes);
  else charts.setHistory([]);
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
socket.on("game_ended", (/** @type {GameEnded} */ m) => room.isMine(m) && view.showEpisodeEnd(m));
socket.on("metrics", (/** @type {Figures & { room: string }} */ m) => room.isMine(m) && charts.add(m));
socket.on("room_error", (/** @type {RoomError} */ m) => {
  if (!room.isMine(m)) return;
  view.showBanner(m.message);
  toast("The room stopped after an error.", "error");
});
socket.on("room_deleted", (/** @type {{ room: string }} */ m) => {
  if (!room.isMine(m)) return;
  view.showBanner("This room was deleted. Go back to the lobby to pick another one.");
  room.setDeleted();
});
socket.on("membership_ended", (/** @type {{ room: string, reason: string }} */ m) => {
  if (!room.isMine(m)) return;
  view.showBanner(`${m.reason} Go back to the lobby to pick another room.`);
  room.setDeleted();
});
socket.on("room_list", (/** @type {{ rooms?: RoomInfo[] }} */ m) => {
  const info = (m.rooms || []).find((r) => r.name.toLowerCase() === room.roomKey);
  if (info) room.owner = info.owner;
});
socket.on("agent_inspect", (/** @type {AgentInspect} */ m) => {
  if (room.isMine(m) && m.agent === room.selected) controls.showInspect(m);
});

controls.listen();
view.schedule();
