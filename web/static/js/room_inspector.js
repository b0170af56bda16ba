// @ts-check
// The inspector: the selected agent as the board shows it (position, energy, load, what it is
// doing, its last action) and the policy's decision, of one tick that it names: the board's,
// or the nearest the server read (room_inspect.js), "decision of tick N (board at tick M)".
// A learning policy's decision has its action probabilities and value estimate; a scripted
// (heuristic) or random room says what its policy is instead of empty sections.

import { agentColor } from "./board.js";
import { byId, el, fmt, setText } from "./common.js";
import { doingText } from "./room_agents.js";
import { ticks } from "./room_log.js";

/** @import { AgentInspect, Figures, Snapshot } from "./common.js" */
/** @import { RoomState } from "./room_state.js" */

const NO_AGENT = "Click an agent on the grid or in the table to see what it is doing, its field of view, and its policy's action probabilities and value estimate.";

const VALUE_MEANS = "The policy's estimate of the discounted reward this agent still has to come (its learned guess of how well things will go from here; higher is better).";

/** What a room's policy is, when it gives no probabilities or no value estimate. */
const POLICY_WORDS = /** @type {Record<string, string>} */ ({
  heuristic: "This room's policy is scripted (heuristic): it follows the agent's goal (see “Doing”) by the shortest path, so it has no action probabilities and no value estimate.",
  random: "This room's policy is random: each action allowed at the agent's cell is equally likely; it has no value estimate.",
});

/** @param {[string, string | number][]} rows */
function table(rows) {
  return el("dl", { className: "kv" }, ...rows.flatMap(([k, v]) => [el("dt", { text: k }), el("dd", { text: String(v) })]));
}

/**
 * The tick the episode on the board began after: where its previous episode ended (-1: unknown).
 * @param {Figures[]} episodes the finished episodes, in episode order
 * @param {number} episode the board's
 */
export function startOf(episodes, episode) {
  for (let i = episodes.length - 1; i >= 0; i--) {
    const e = episodes[i];
    if (e.episode < episode) return typeof e.end_tick === "number" ? e.end_tick : -1;
  }
  return -1;
}

export class InspectorView {
  /** @param {RoomState} room */
  constructor(room) {
    this.room = room;
    this.box = byId("inspector-body");
    this.badge = byId("inspect-badge");
  }

  /** @param {Figures[]} episodes the room's finished episodes */
  render(episodes) {
    const { room, box, badge } = this;
    const id = room.selected;
    badge.hidden = id === null;
    const s = room.state;
    if (id === null || !s) {
      box.replaceChildren(el("p", { className: "inspector-empty", text: NO_AGENT }));
      return;
    }
    setText(badge, `agent ${id}`);
    badge.style.background = agentColor(id);
    badge.style.color = "#fff";
    const agent = s.agents.find((a) => a.id === id);
    const m = room.figures.pick(s.tick, s.episode, startOf(episodes, s.episode));
    const live = room.viewing !== null ? " (live; the board shows the past)" : "";
    box.replaceChildren(
      el("h3", { className: "inspector-head", text: `On the board: tick ${ticks(s.tick)}${live}` }),
      table(agent ? [
        ["Position", `${agent.x}, ${agent.y}`], ["Energy", agent.energy], ["Carrying", agent.carrying],
        ["Doing", doingText(agent, s)], ["Last action", agent.action ?? "–"],
      ] : [["Agent", "not in the room"]]),
      ...this.decision(m, s),
      el("p", { className: "muted small", text: "Esc or a second click stops inspecting." }),
    );
  }

  /**
   * The policy's decision: its tick, said against the board's, and what it holds.
   * @param {AgentInspect | null} m
   * @param {Snapshot} s the live Snapshot
   * @returns {HTMLElement[]}
   */
  decision(m, s) {
    const policy = this.room.policy;
    const words = policy ? POLICY_WORDS[policy] : undefined;
    if (!m) {
      const none = [
        el("h3", { className: "inspector-head", id: "inspect-tick", dataset: { board: s.tick }, text: "Policy's decision" }),
        el("p", { className: "inspector-empty", text: `No decision yet in episode ${s.episode}: it comes with the agent's next tick.` }),
      ];
      if (words) none.push(el("p", { className: "inspector-policy", text: words }));
      return none;
    }
    const same = m.tick === s.tick;
    const when = same ? `tick ${ticks(m.tick)}, as on the board` : `tick ${ticks(m.tick)} (board at tick ${ticks(s.tick)})`;
    /** @type {HTMLElement[]} */
    const out = [
      el("h3", { className: "inspector-head", id: "inspect-tick", dataset: { tick: m.tick, board: s.tick }, text: `Policy's decision of ${when}` }),
      table([
        ["Chosen action", m.action ?? "–"],
        ["Field of view", `${2 * m.view_radius + 1} × ${2 * m.view_radius + 1}`],
        ...(m.value !== null ? /** @type {[string, string][]} */ ([["Value estimate", fmt(m.value, 3)]]) : []),
      ]),
    ];
    if (m.value !== null) out.push(el("p", { className: "muted small", id: "value-means", text: VALUE_MEANS }));
    if (m.probabilities) {
      out.push(el("div", { className: "probs", id: "probs", role: "list", "aria-label": "Action probabilities" },
        ...Object.entries(m.probabilities).map(([name, p]) =>
          el("div", { className: `prob ${name === m.action ? "chosen" : ""}`, role: "listitem", dataset: { action: name } },
            el("span", { className: "name", text: name }),
            el("span", { className: "bar" }, el("b", { style: `width:${(100 * p).toFixed(1)}%` })),
            el("span", { className: "p", text: p.toFixed(2) })))),
      el("p", { className: "muted small", text: "Highlighted: the action it took." }));
    }
    if (words || !m.probabilities || m.value === null) {
      out.push(el("p", { className: "inspector-policy", text: words || "This room's policy gives no action probabilities or value estimate." }));
    }
    return out;
  }
}
