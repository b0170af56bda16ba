// @ts-check
// The room header's facts: policy, agents, seed, speed, which world the board shows when the
// room trains in several (turbo: "world 1 of 16"), the sweep it belongs to, and its config's
// differences from the defaults ("Ticks per episode 100"), from the room's RoomInfo
// (list_rooms / room_list) and the live speed of its state.

import { el, speedLabel } from "./common.js";
import { changesText, valueText } from "./config_fields.js";

/** @import { RoomInfo, Speed } from "./common.js" */

export class RoomFacts {
  /** @param {HTMLElement} box */
  constructor(box) {
    this.box = box;
    /** @type {RoomInfo | null} */
    this.info = null;
    this.key = "";
  }

  /** @param {RoomInfo} info */
  setInfo(info) {
    this.info = info;
  }

  /** Draw (when anything changed). @param {Speed | undefined} liveSpeed the state's speed */
  render(liveSpeed) {
    const info = this.info;
    if (!info) return;
    const speed = liveSpeed ?? info.speed;
    const key = JSON.stringify([info.policy, info.agents, info.seed, speed, info.worlds, info.sweep, info.sweep_point, info.config_changes]);
    if (key === this.key) return;
    this.key = key;
    const worlds = info.worlds ?? 1;
    const changes = changesText(info.config_changes);
    /** @type {(HTMLElement | null)[]} */
    const facts = [
      el("span", { dataset: { fact: "policy" }, text: info.policy }),
      el("span", { dataset: { fact: "agents" }, text: `${info.agents} agent${info.agents === 1 ? "" : "s"}` }),
      info.seed === undefined ? null : el("span", { dataset: { fact: "seed" }, text: `seed ${info.seed === null ? "random" : valueText(info.seed)}` }),
      el("span", { dataset: { fact: "speed" }, text: speed === "max" ? "speed max (turbo)" : `speed ${speedLabel(speed)}` }),
      worlds > 1 ? el("span", { dataset: { fact: "worlds" }, text: `showing world 1 of ${worlds}`,
        title: `In turbo the room trains in ${worlds} worlds at once; the board shows the first.` }) : null,
      info.sweep ? el("span", { dataset: { fact: "sweep" } }, "sweep ",
        el("a", { href: `/sweeps/${encodeURIComponent(info.sweep)}`, text: info.sweep })) : null,
      el("span", { dataset: { fact: "config" }, className: changes.length ? "config-changes" : "muted",
        text: changes.length ? `config: ${changes.join(", ")}` : info.config_changes ? "default config" : "" }),
    ];
    this.box.replaceChildren(...facts.filter(/** @returns {f is HTMLElement} */ (f) => f !== null && f.textContent !== ""));
  }
}
