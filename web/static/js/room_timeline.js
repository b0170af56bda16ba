// @ts-check
// The room page's timeline: a range from tick 0 to the live tick. Moving it shows the room as it
// was at that tick (get_state with a tick; one request in flight at a time, at most one every
// SEEK_GAP_MS, always ending on the last tick asked), while the live deltas go on updating the
// live state behind it; "Live" goes back at once. "Play" walks the past forward at 10 ticks a
// second times the chosen speed and goes live when it reaches the live tick. Left and right
// arrows step one tick (the focused range does it natively; elsewhere on the page, here).

import { byId, page, request, setText, toast } from "./common.js";

/** @import { RoomState } from "./room_state.js" */

/** Seeks are spaced at least this far apart: well under the server's rate limit (20/s). */
export const SEEK_GAP_MS = 100;
/** Ticks a second that the play control shows at 1×. */
const PLAY_RATE = 10;

/** @param {number} ms */
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export class Timeline {
  /**
   * @param {RoomState} room
   * @param {Socket} socket
   */
  constructor(room, socket) {
    this.room = room;
    this.socket = socket;
    this.ui = {
      box: byId("timeline-box"),
      range: /** @type {HTMLInputElement} */ (byId("timeline")),
      status: byId("timeline-status"),
      live: /** @type {HTMLButtonElement} */ (byId("btn-live")),
      play: /** @type {HTMLButtonElement} */ (byId("btn-play")),
      speed: /** @type {HTMLSelectElement} */ (byId("play-speed")),
    };
    /** @type {number | null} the tick to ask for next */
    this.want = null;
    this.pumping = false;
    this.lastSent = -Infinity;
    /** get_state requests sent so far (for tests and the curious) */
    this.sent = 0;
    /** bumped on going live: answers to older requests are dropped */
    this.epoch = 0;
    /** @type {number | undefined} */
    this.timer = undefined;
    this.playFrom = 0;
    this.playStart = 0;
  }

  get playing() {
    return this.timer !== undefined;
  }

  /** The live tick (the range's end). */
  liveTick() {
    return this.room.state ? this.room.state.tick : 0;
  }

  /** Show the room at `tick`; the live tick (or beyond) goes live. @param {number} tick */
  seek(tick) {
    if (!this.room.state || this.room.deleted) return;
    const target = Math.max(0, Math.min(Math.round(tick), this.liveTick()));
    if (target >= this.liveTick()) {
      this.goLive();
      return;
    }
    this.room.view(target);
    this.want = target;
    this.pump();
  }

  /** Ask for the wanted tick, one request at a time, until the last one asked is answered. */
  async pump() {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.want !== null && this.room.viewing !== null) {
        const wait = this.lastSent + SEEK_GAP_MS - performance.now();
        if (wait > 0) {
          await sleep(wait);
          continue;
        }
        const tick = this.want;
        const epoch = this.epoch;
        this.want = null;
        this.lastSent = performance.now();
        this.sent++;
        const ack = await request(this.socket, "get_state", { room: page.room, tick });
        if (epoch !== this.epoch || this.room.viewing === null) continue;
        if (ack.ok) this.room.setPast(ack.state);
        else if (this.want === null) {
          toast(ack.error.message, "error");
          this.pause();
        }
      }
    } finally {
      this.pumping = false;
    }
  }

  goLive() {
    this.pause();
    this.epoch++;
    this.want = null;
    this.room.goLive();
  }

  play() {
    if (this.room.viewing === null || this.playing) return;
    this.playFrom = this.room.viewing;
    this.playStart = performance.now();
    this.timer = setInterval(() => this.playStep(), SEEK_GAP_MS);
    this.room.mark("dom");
  }

  pause() {
    if (!this.playing) return;
    clearInterval(this.timer);
    this.timer = undefined;
    this.room.mark("dom");
  }

  playStep() {
    const rate = PLAY_RATE * Number(this.ui.speed.value || 1);
    const target = Math.floor(this.playFrom + ((performance.now() - this.playStart) / 1000) * rate);
    if (target >= this.liveTick()) {
      this.goLive();
      return;
    }
    if (target !== this.room.viewing) this.seek(target);
  }

  /** Listen to the range, the buttons and the arrow keys. */
  listen() {
    const { range, live, play, speed } = this.ui;
    range.addEventListener("input", () => {
      this.pause();
      this.seek(Number(range.value));
    });
    live.addEventListener("click", () => this.goLive());
    play.addEventListener("click", () => (this.playing ? this.pause() : this.play()));
    speed.addEventListener("change", () => {
      if (!this.playing || this.room.viewing === null) return;
      this.playFrom = this.room.viewing;
      this.playStart = performance.now();
    });
    document.addEventListener("keydown", (event) => this.onKey(event));
  }

  /** Arrows step one tick when no field or control has the focus. @param {KeyboardEvent} event */
  onKey(event) {
    if (event.key !== "ArrowLeft" && event.key !== "ArrowRight") return;
    if (event.ctrlKey || event.metaKey || event.altKey || event.shiftKey) return;
    const target = event.target;
    if (target instanceof HTMLElement && target.closest("input, select, textarea, [contenteditable]")) return;
    if (!this.room.state || this.room.deleted) return;
    event.preventDefault();
    this.pause();
    const at = this.room.viewing ?? this.liveTick();
    this.seek(at + (event.key === "ArrowLeft" ? -1 : 1));
  }

  /** Draw the range, the indicator and the buttons (on the view's frame). */
  render() {
    const { box, range, status, live, play } = this.ui;
    const room = this.room;
    const end = this.liveTick();
    const usable = !!room.state && !room.deleted;
    range.disabled = !usable;
    if (range.max !== String(end)) range.max = String(end);
    const at = room.viewing ?? end;
    if (range.value !== String(at)) range.value = String(at);
    const past = room.viewing !== null;
    box.dataset.mode = past ? "past" : "live";
    box.dataset.tick = String(past ? (room.past?.tick ?? at) : end);
    const shown = room.past?.tick;
    let text = "live";
    if (room.deleted) text = "–";
    else if (past) {
      text = shown === room.viewing ? `viewing tick ${shown} — live is at ${end}` : `loading tick ${room.viewing}… — live is at ${end}`;
    } else if (room.state) text = `live · tick ${end}`;
    setText(status, text);
    range.setAttribute("aria-valuetext", past ? `tick ${at}, in the past (live is at ${end})` : `tick ${end}, live`);
    live.disabled = !usable || !past;
    play.disabled = !usable || !past;
    const playing = this.playing;
    setText(play, playing ? "❚❚" : "▶");
    play.setAttribute("aria-pressed", String(playing));
    play.setAttribute("aria-label", playing ? "Pause" : "Play the past forward");
  }
}
