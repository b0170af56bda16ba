// @ts-check
// Sharing a room, on the room page: an observer asks for control (request_control); the
// owner's and admins' pages show each request as a toast with Grant and Dismiss
// (control_requested); the owner's menu in the head renames, duplicates and deletes the room
// (room_owner.js); and a rename (room_renamed) moves every member's page to the new name: its
// title, its URL and every request it sends from then on.

import { CONTROL_ROLES, byId, el, page, request, setText, toast } from "./common.js";
import { deleteRoom, duplicateRoom, mayManage, renameRoom, roomUrl } from "./room_owner.js";

/** @import { Charts } from "./charts.js" */
/** @import { RoomInfo } from "./common.js" */
/** @import { RoomState } from "./room_state.js" */
/** @typedef {{ room: string, user: string, ts?: number }} ControlRequested */
/** @typedef {{ room: string, name: string }} RoomRenamed */

/** The server takes one request per user and room this often (the button waits as long). */
const ASK_EVERY_MS = 30_000;
/** A request's toast stays this long unless answered. */
const REQUEST_TOAST_MS = 60_000;

export class RoomSharing {
  /**
   * @param {RoomState} room
   * @param {Socket} socket
   * @param {Charts} charts
   * @param {(user: string, allow: boolean) => Promise<void>} grant grant_control, answered in a toast
   */
  constructor(room, socket, charts, grant) {
    this.room = room;
    this.socket = socket;
    this.charts = charts;
    this.grant = grant;
    /** @type {RoomInfo | null} */
    this.info = null;
    /** when the user may ask again (epoch ms) */
    this.askAgainAt = 0;
    /** @type {number | undefined} */
    this.askTimer = undefined;
    this.ui = {
      ask: /** @type {HTMLButtonElement} */ (byId("btn-ask-control")),
      menu: /** @type {HTMLDetailsElement} */ (byId("owner-menu")),
      rename: /** @type {HTMLButtonElement} */ (byId("btn-rename")),
      duplicate: /** @type {HTMLButtonElement} */ (byId("btn-duplicate")),
      remove: /** @type {HTMLButtonElement} */ (byId("btn-delete")),
      csv: /** @type {HTMLAnchorElement} */ (byId("episodes-csv")),
    };
  }

  /** The room's RoomInfo (list_rooms, room_list). @param {RoomInfo} info */
  setInfo(info) {
    this.info = info;
  }

  listen() {
    const { ask, menu, rename, duplicate, remove } = this.ui;
    ask.addEventListener("click", () => this.ask());
    const summary = /** @type {HTMLElement} */ (menu.querySelector("summary"));
    const act = (/** @type {(socket: Socket, info: RoomInfo) => Promise<unknown>} */ action) => () => {
      summary.focus(); // where the dialog gives the focus back
      menu.open = false;
      if (this.info && this.usable()) action(this.socket, this.info);
    };
    rename.addEventListener("click", act(async (socket, info) => {
      const renamed = await renameRoom(socket, info);
      if (renamed) this.renamed({ room: info.name, name: renamed.name });
    }));
    duplicate.addEventListener("click", act(duplicateRoom));
    remove.addEventListener("click", act(deleteRoom));
    document.addEventListener("click", (event) => {
      if (menu.open && event.target instanceof Node && !menu.contains(event.target)) menu.open = false;
    });
    menu.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && menu.open) {
        event.stopPropagation();
        menu.open = false;
        summary.focus();
      }
    });
  }

  usable() {
    return this.room.joined && !this.room.deleted && this.socket.connected;
  }

  /** Ask the owner (and admins in the room) for control; the server's refusal shows as it says. */
  async ask() {
    if (!this.usable() || Date.now() < this.askAgainAt) return;
    this.askAgainAt = Date.now() + ASK_EVERY_MS;
    this.render();
    const ack = await request(this.socket, "request_control", { room: page.room });
    if (!ack.ok) {
      this.askAgainAt = 0;
      toast(ack.error.message, "error", 6000);
    } else {
      toast(`Asked ${this.room.owner ?? "the owner"} for control: your controls come on when they grant it.`);
    }
    clearTimeout(this.askTimer);
    this.askTimer = setTimeout(() => this.render(), Math.max(0, this.askAgainAt - Date.now()) + 50);
    this.render();
  }

  /** control_requested: a toast with Grant and Dismiss, one per user. @param {ControlRequested} m */
  requested(m) {
    if (!this.room.isMine(m) || !m.user) return;
    const box = document.getElementById("toasts");
    if (!box) return;
    box.querySelector(`.toast-request[data-user="${CSS.escape(m.user)}"]`)?.remove();
    const close = () => {
      clearTimeout(timer);
      node.remove();
    };
    const grant = el("button", { type: "button", className: "btn btn-small btn-touch", text: "Grant",
      "aria-label": `Grant ${m.user} control`, onclick: () => {
        close();
        this.grant(m.user, true);
      } });
    const dismiss = el("button", { type: "button", className: "btn btn-small btn-quiet btn-touch", text: "Dismiss",
      "aria-label": `Dismiss ${m.user}'s request`, onclick: close });
    const node = el("div", { className: "toast toast-request", dataset: { user: m.user } },
      el("span", { text: `${m.user} asks for control` }), el("span", { className: "toast-actions" }, grant, dismiss));
    const timer = setTimeout(close, REQUEST_TOAST_MS);
    box.append(node);
  }

  /** room_renamed: the page goes on under the room's new name. @param {RoomRenamed} m */
  renamed(m) {
    if (!this.room.isMine(m) || !m.name) return;
    const name = m.name;
    page.room = name;
    this.room.roomKey = name.toLowerCase();
    if (this.room.state) this.room.state.room = name;
    if (this.info) this.info = { ...this.info, name };
    this.charts.room = name;
    this.ui.csv.href = `/api/rooms/${encodeURIComponent(name)}/episodes?format=csv`;
    history.replaceState(history.state, "", roomUrl(name) + location.search + location.hash);
    setText(byId("room-title"), name);
    this.room.mark("dom");
  }

  /** The ask button (observers) and the owner's menu (owner, admins), on the view's frame. */
  render() {
    const { room } = this;
    const { ask, menu } = this.ui;
    const observer = this.usable() && !!room.role && !CONTROL_ROLES.has(room.role);
    ask.hidden = !observer;
    const waiting = Date.now() < this.askAgainAt;
    ask.disabled = waiting;
    setText(ask, waiting ? "Asked for control" : "Ask for control");
    const manage = !!this.info && mayManage(this.info) && !room.deleted;
    menu.hidden = !manage;
    if (!manage) menu.open = false;
    for (const button of [this.ui.rename, this.ui.duplicate, this.ui.remove]) button.disabled = !this.usable();
  }
}
