// @ts-check
// "Fork from here": a small form under the timeline that makes a new room starting at the tick
// shown (create_room with `fork`; the live state forks "now", tick null). The server's error
// sentence (a taken name, a limit) shows under the field; on success the page opens the new room.

import { byId, page, request, setText, toast } from "./common.js";
import { roomUrl, suffixed } from "./room_owner.js";

/** @import { RoomState } from "./room_state.js" */

/**
 * A name for the fork that fits a room name's rules: the room's name and the tick.
 * @param {string} room
 * @param {number | null} tick
 */
export function forkName(room, tick) {
  return suffixed(room, tick === null ? " fork" : ` t${tick}`);
}

export class ForkForm {
  /**
   * @param {RoomState} room
   * @param {Socket} socket
   */
  constructor(room, socket) {
    this.room = room;
    this.socket = socket;
    this.ui = {
      open: /** @type {HTMLButtonElement} */ (byId("btn-fork")),
      form: /** @type {HTMLFormElement} */ (byId("fork-form")),
      label: byId("fork-label"),
      name: /** @type {HTMLInputElement} */ (byId("fork-name")),
      submit: /** @type {HTMLButtonElement} */ (byId("fork-submit")),
      cancel: /** @type {HTMLButtonElement} */ (byId("fork-cancel")),
      error: byId("fork-error"),
    };
    this.sending = false;
  }

  /** The tick the fork starts at: the one shown, or null (now) when live. */
  tick() {
    if (this.room.viewing === null) return null;
    return this.room.past ? this.room.past.tick : this.room.viewing;
  }

  usable() {
    return this.room.joined && !this.room.deleted && !!this.room.state && this.socket.connected;
  }

  open() {
    const { form, name, open } = this.ui;
    if (!this.usable()) return;
    this.showError("");
    name.value = forkName(String(page.room || ""), this.tick());
    form.hidden = false;
    open.setAttribute("aria-expanded", "true");
    name.focus();
    name.select();
  }

  close() {
    this.ui.form.hidden = true;
    this.ui.open.setAttribute("aria-expanded", "false");
    this.showError("");
  }

  /** @param {string} message */
  showError(message) {
    setText(this.ui.error, message);
    this.ui.error.hidden = !message;
    this.ui.name.toggleAttribute("aria-invalid", !!message);
  }

  async submit() {
    if (this.sending || !this.usable()) return;
    const name = this.ui.name.value.trim();
    if (!name) {
      this.showError("Give the new room a name.");
      return;
    }
    this.sending = true;
    this.render();
    const tick = this.tick();
    const ack = await request(this.socket, "create_room", { name, fork: { room: page.room, tick } });
    this.sending = false;
    this.render();
    if (!ack.ok) {
      this.showError(ack.error.message);
      this.ui.name.focus();
      return;
    }
    toast(`Room “${ack.room.name}” forked${tick === null ? "" : ` at tick ${tick}`}.`);
    location.assign(roomUrl(ack.room.name));
  }

  listen() {
    const { open, form, cancel } = this.ui;
    open.addEventListener("click", () => (form.hidden ? this.open() : this.close()));
    cancel.addEventListener("click", () => this.close());
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.submit();
    });
    form.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        event.stopPropagation();
        this.close();
        open.focus();
      }
    });
  }

  /** Enable the button; name the tick in the form's label (on the view's frame). */
  render() {
    const { open, form, label, submit } = this.ui;
    const usable = this.usable();
    open.disabled = !usable;
    if (!usable && !form.hidden) this.close();
    const tick = this.tick();
    setText(label, tick === null ? "New room's name (it starts at the live tick, now)" : `New room's name (it starts at tick ${tick})`);
    submit.disabled = this.sending;
  }
}
