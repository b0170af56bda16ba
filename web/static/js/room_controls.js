// @ts-check
// The room page's controls: what the user does, sent to the server. Start, stop, step and reset
// (buttons, space and s), the speed slider and turbo, granting control, and inspecting an agent
// (a click on the grid or its row, Esc to stop).

import { page, request, setText, speedLabel, toast } from "./common.js";

/** @import { Board } from "./board.js" */
/** @import { AgentInspect } from "./common.js" */
/** @import { RoomState } from "./room_state.js" */
/** @import { RoomView } from "./room_view.js" */
/** @typedef {"start_game" | "stop_game" | "step_game" | "reset_game" | "set_speed"} ControlEvent */

export class RoomControls {
  /**
   * @param {RoomState} room
   * @param {RoomView} view
   * @param {Board} board
   * @param {Socket} socket
   */
  constructor(room, view, board, socket) {
    this.room = room;
    this.view = view;
    this.board = board;
    this.socket = socket;
  }

  canControl() {
    return this.room.canControl(this.socket.connected);
  }

  /**
   * Send a control event; the buttons wait for its answer.
   * @template {ControlEvent} E
   * @param {E} event
   * @param {object} [extra] the payload besides the room
   */
  async control(event, extra = {}) {
    if (!this.canControl()) return;
    this.room.busy = true;
    this.room.mark("dom");
    const ack = await request(this.socket, event, { room: page.room, ...extra });
    this.room.busy = false;
    this.room.mark("dom");
    if (!ack.ok) toast(ack.error.message, "error");
    return ack;
  }

  /** @param {number | "max"} speed */
  async setSpeed(speed) {
    const ack = await this.control("set_speed", { speed });
    this.room.draggingSpeed = false;
    if (ack?.ok && this.room.state) this.room.state.speed = ack.speed;
    this.room.markAll();
  }

  /** @param {string} user @param {boolean} allow */
  async grant(user, allow) {
    const ack = await request(this.socket, "grant_control", { room: page.room, user, allow });
    if (ack.ok) toast(allow ? `${user} may now control the room.` : `${user} no longer controls the room.`);
    else toast(ack.error.message, "error");
  }

  /** Watch an agent's figures (null: stop). @param {number | null} agent */
  async inspect(agent) {
    const ack = await request(this.socket, "inspect_agent", { room: page.room, agent });
    if (!ack.ok) {
      if (agent !== null) toast(ack.error.message, "error");
      return;
    }
    if (agent !== null && agent === this.room.selected && ack.inspect) this.showInspect(ack.inspect);
  }

  /** The inspected agent's latest figures (an ack or an agent_inspect event). @param {AgentInspect} figures */
  showInspect(figures) {
    this.board.setViewRadius(figures.view_radius);
    this.room.setInspect(figures);
  }

  /** Inspect another agent (null: none). @param {number | null} id */
  selectAgent(id) {
    if (!this.room.select(id)) return;
    this.board.select(id);
    if (this.room.joined) this.inspect(id);
  }

  /** Listen to the buttons, the speed, the grid and the keyboard. */
  listen() {
    const { ui } = this.view;
    for (const button of [ui.start, ui.stop, ui.step, ui.reset]) {
      button.addEventListener("click", () => this.control(/** @type {ControlEvent} */ (button.dataset.action)));
    }
    ui.speed.addEventListener("input", () => {
      this.room.draggingSpeed = true;
      setText(ui.speedOut, speedLabel(Number(ui.speed.value)));
    });
    ui.speed.addEventListener("change", () => this.setSpeed(Math.round(Number(ui.speed.value) * 10) / 10));
    ui.turbo.addEventListener("change", () => {
      const speed = ui.turbo.checked ? "max" : Math.round(Number(ui.speed.value) * 10) / 10;
      this.room.draggingSpeed = true; // keep the user's choice on screen until the server answers
      this.setSpeed(speed);
    });
    this.board.listen({
      shown: () => this.room.shown(),
      tap: (id) => this.selectAgent(id === this.room.selected ? null : id), // the nearest agent, or none
      redraw: () => this.room.mark("board"),
    });
    document.addEventListener("keydown", (event) => this.onKey(event));
  }

  /** Space starts or stops, s steps, Esc stops inspecting. @param {KeyboardEvent} event */
  onKey(event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target;
    if (target instanceof HTMLElement) {
      const tag = target.tagName;
      if (target.isContentEditable || tag === "SELECT" || tag === "TEXTAREA") return;
      if (tag === "INPUT" && /** @type {HTMLInputElement} */ (target).type !== "range") return; // typing, or space on a checkbox
      // Space and Enter press a focused button, except the controls' own: there space is start/stop.
      if (tag === "BUTTON" && (event.key === "Enter" || (event.key === " " && !target.closest(".controls")))) return;
    }
    if (event.key === " ") {
      event.preventDefault();
      if (!this.canControl() || this.room.busy) return;
      this.control(this.room.state?.running ? "stop_game" : "start_game");
    } else if (event.key === "s" || event.key === "S") {
      if (!this.canControl() || this.room.busy || this.room.state?.running) return;
      event.preventDefault();
      this.control("step_game");
    } else if (event.key === "Escape") {
      this.selectAgent(null);
    }
  }
}
