// @ts-check
// What an owner (or an admin) does with a room, from the lobby's rows and the room page's
// menu alike: rename it (rename_room), duplicate it (create_room with its agents, policy,
// seed, config and public under a new name) and delete it (delete_room, after confirming).
// Each asks in a dialog (dialog.js) and answers what happened; the pages redraw from the
// server's events (room_list, room_renamed, room_deleted).

import { page, request, toast } from "./common.js";
import { NAME_MAX, confirmDialog, nameDialog } from "./dialog.js";

/** @import { RoomInfo } from "./common.js" */

/** @param {string} name */
export function roomUrl(name) {
  return `/rooms/${encodeURIComponent(name)}`;
}

/** Whether the signed-in user may rename, duplicate or delete this room (its owner, admins). @param {RoomInfo} info */
export function mayManage(info) {
  return !!page.admin || info.owner === page.user;
}

/** A name and a tail (" copy", " t120"), the name cut so that both fit a room name. @param {string} name @param {string} tail */
export function suffixed(name, tail) {
  return `${name.slice(0, NAME_MAX - tail.length).trimEnd()}${tail}`;
}

/**
 * create_room's payload for a duplicate: the room's agents, policy, seed, config and public
 * (the learner's part of the config only for a learning room, which alone takes one).
 * @param {RoomInfo} info
 * @param {string} name
 */
export function duplicatePayload(info, name) {
  const whole = info.config || {};
  const config = info.policy === "learning" ? whole : { world: whole.world };
  return { name, agents: info.agents, policy: info.policy, seed: info.seed ?? null, public: info.public,
    ...(whole.world ? { config } : {}) };
}

/**
 * Rename: the new name in a dialog; the server's refusal (a taken name) shows in it.
 * @param {Socket} socket
 * @param {RoomInfo} info
 * @returns {Promise<RoomInfo | null>} the renamed room's RoomInfo, or null
 */
export async function renameRoom(socket, info) {
  /** @type {RoomInfo | null} */
  let renamed = null;
  await nameDialog({
    title: `Rename room “${info.name}”`, label: "New name", value: info.name, submit: "Rename",
    help: "Everything stays: its tick, history, grants and members. Links to the old name stop working.",
    send: async (name) => {
      const ack = await request(socket, "rename_room", { room: info.name, name });
      if (!ack.ok) return ack.error.message;
      renamed = ack.room;
      return null;
    },
  });
  if (renamed) toast(`Room “${info.name}” is now “${/** @type {RoomInfo} */ (renamed).name}”.`);
  return renamed;
}

/**
 * Duplicate: a new room like this one (stopped, at tick 0) under a name the user gives; then
 * open it.
 * @param {Socket} socket
 * @param {RoomInfo} info
 */
export async function duplicateRoom(socket, info) {
  /** @type {RoomInfo | null} */
  let made = null;
  await nameDialog({
    title: `Duplicate room “${info.name}”`, label: "The new room's name", value: suffixed(info.name, " copy"), submit: "Duplicate",
    help: `A new room of yours with the same agents (${info.agents}), policy (${info.policy}), seed and config, starting at tick 0.`,
    send: async (name) => {
      const ack = await request(socket, "create_room", duplicatePayload(info, name));
      if (!ack.ok) return ack.error.message;
      made = ack.room;
      return null;
    },
  });
  if (made) location.assign(roomUrl(/** @type {RoomInfo} */ (made).name));
}

/**
 * Delete, once confirmed. True when the server deleted it.
 * @param {Socket} socket
 * @param {RoomInfo} info
 */
export async function deleteRoom(socket, info) {
  const sure = await confirmDialog({
    title: `Delete room “${info.name}”?`,
    text: "Its episodes, history and checkpoints go too, and everyone watching it is told it is gone. This cannot be undone.",
    confirm: "Delete room", danger: true,
  });
  if (!sure) return false;
  const ack = await request(socket, "delete_room", { room: info.name });
  if (!ack.ok) {
    toast(ack.error.message, "error");
    return false;
  }
  toast(`Room “${info.name}” deleted.`);
  return true;
}
