// @ts-check
// The room page's tables and panels, drawn by the view (room_view.js) when the state marks
// them: the agents table, the action log, who is watching, and the inspector.

import { agentColor } from "./board.js";
import { clock, el, fmt, page, roleBadge, setText } from "./common.js";
import { LOG_MAX } from "./room_state.js";

/** @import { AgentState } from "./common.js" */
/** @import { RoomState, TimedLogEntry } from "./room_state.js" */
/**
 * @typedef {{ tr: HTMLTableRowElement, pos: HTMLElement, bar: HTMLElement, energy: HTMLElement,
 *   energyText: HTMLElement, carrying: HTMLElement, reward: HTMLElement, action: HTMLElement }} AgentRow
 */

const NO_AGENT = "Click an agent on the grid or in the table to see its field of view, action probabilities and value estimate.";

/** The agents table: a row per agent, in id order, updated in place. */
export class AgentsTable {
  /**
   * @param {HTMLElement} body the table's body
   * @param {(id: number) => void} onPick a click or Enter on an agent's row
   */
  constructor(body, onPick) {
    this.body = body;
    this.onPick = onPick;
    /** @type {Map<number, AgentRow>} */
    this.rows = new Map();
  }

  /** @param {AgentState[]} agents @param {number | null} selected the inspected agent's id */
  render(agents, selected) {
    const seen = new Set();
    for (const agent of agents) {
      seen.add(agent.id);
      const row = this.rows.get(agent.id) || this.addRow(agent);
      setText(row.pos, `${agent.x}, ${agent.y}`);
      const e = Math.max(0, Math.min(100, agent.energy));
      row.bar.style.width = `${e}%`;
      row.energy.className = `energy ${e <= 20 ? "low" : e <= 50 ? "mid" : ""}`;
      setText(row.energyText, agent.energy);
      setText(row.carrying, agent.carrying);
      setText(row.reward, fmt(agent.reward, 2));
      setText(row.action, agent.action ?? "–");
      row.tr.classList.toggle("selected", selected === agent.id);
    }
    for (const [id, row] of this.rows) {
      if (!seen.has(id)) {
        row.tr.remove();
        this.rows.delete(id);
      }
    }
  }

  /** @param {AgentState} agent */
  addRow(agent) {
    const bar = el("b");
    /** @type {AgentRow} */
    const row = {
      tr: el("tr", { dataset: { agent: agent.id }, tabIndex: 0, title: "Inspect this agent" }),
      pos: el("td", { className: "mono" }),
      bar,
      energy: el("span", { className: "energy" }, bar),
      energyText: el("span"),
      carrying: el("td", { className: "num" }),
      reward: el("td", { className: "num" }),
      action: el("td", { className: "mono" }),
    };
    row.tr.append(
      el("td", {}, el("span", { className: "swatch", style: `background:${agentColor(agent.id)}` }), `Agent ${agent.id}`),
      row.pos, el("td", {}, row.energy, row.energyText), row.carrying, row.reward, row.action,
    );
    row.tr.addEventListener("click", () => this.onPick(agent.id));
    row.tr.addEventListener("keydown", (e) => {
      if (e.key === "Enter") this.onPick(agent.id);
    });
    this.rows.set(agent.id, row);
    const after = [...this.body.children].find((r) => Number(/** @type {HTMLElement} */ (r).dataset.agent) > agent.id);
    this.body.insertBefore(row.tr, after || null);
    return row;
  }
}

/** @param {TimedLogEntry} entry */
function logItem(entry) {
  return el("li", {},
    el("span", { className: "t", text: entry.ts ? clock(entry.ts) : "past" }),
    el("span", { text: `t ${entry.tick}` }),
    el("span", {}, el("span", { className: "swatch", style: `background:${agentColor(entry.agent)}` }), `#${entry.agent}`),
    el("span", { text: entry.action }),
  );
}

/**
 * The action log, newest first: the state's log after a full Snapshot (or the past one the
 * timeline shows, whose entries have no server time), else the new entries.
 * @param {HTMLElement} list
 * @param {RoomState} room
 */
export function renderLog(list, room) {
  const s = room.shown();
  if (!s) return;
  if (room.resetLog) {
    room.resetLog = false;
    const ts = room.past ? 0 : room.stateTs;
    const entries = s.log.slice(-LOG_MAX).map((e) => ({ ...e, ts }));
    list.replaceChildren(...entries.reverse().map(logItem));
    room.newLog = [];
    return;
  }
  if (!room.newLog.length || room.past) return;
  const fragment = document.createDocumentFragment();
  for (let i = room.newLog.length - 1; i >= 0; i--) fragment.append(logItem(room.newLog[i]));
  room.newLog = [];
  list.prepend(fragment);
  while (list.children.length > LOG_MAX) list.lastElementChild?.remove();
}

/**
 * Who is watching, with their roles; the owner and admins get buttons to grant or revoke control.
 * @param {HTMLElement} list
 * @param {HTMLElement} count
 * @param {RoomState} room
 * @param {(user: string, allow: boolean) => void} grant
 */
export function renderPresence(list, count, room, grant) {
  const users = room.presence;
  setText(count, users.length);
  const manage = room.role === "owner" || room.role === "admin";
  list.replaceChildren(
    ...users.map((user) => {
      const me = user.name === page.user;
      let action = null;
      if (manage && !me && (user.role === "observer" || user.role === "controller")) {
        const allow = user.role === "observer";
        action = el("button", {
          className: `btn btn-small act ${allow ? "" : "btn-danger"}`,
          text: allow ? "Grant control" : "Revoke",
          dataset: { user: user.name, allow: String(allow) },
          onclick: () => grant(user.name, allow),
        });
      }
      return el("li", { dataset: { user: user.name, role: user.role } },
        el("span", { className: "who", text: me ? `${user.name} (you)` : user.name }), roleBadge(user.role), action);
    }),
  );
  if (!users.length) list.append(el("li", { className: "muted", text: "Nobody yet." }));
}

/**
 * The inspected agent: where it is, its energy, the policy's value estimate and action
 * probabilities (the action it took highlighted).
 * @param {HTMLElement} box
 * @param {HTMLElement} badge
 * @param {RoomState} room
 */
export function renderInspector(box, badge, room) {
  const id = room.selected;
  badge.hidden = id === null;
  if (id === null) {
    box.replaceChildren(el("p", { className: "inspector-empty", text: NO_AGENT }));
    return;
  }
  setText(badge, `agent ${id}`);
  badge.style.background = agentColor(id);
  badge.style.color = "#fff";
  const m = room.inspect;
  const agent = room.state?.agents.find((a) => a.id === id);
  const rows = [
    ["Position", agent ? `${agent.x}, ${agent.y}` : "–"],
    ["Energy", agent ? agent.energy : "–"],
    ["Value estimate", m && m.value !== null ? fmt(m.value, 3) : "–"],
    ["Field of view", m ? `${2 * m.view_radius + 1} × ${2 * m.view_radius + 1}` : "–"],
    ["At tick", m ? m.tick : "–"],
  ];
  const kv = el("dl", { className: "kv" }, ...rows.flatMap(([k, v]) => [el("dt", { text: k }), el("dd", { text: String(v) })]));
  let probs;
  if (!m) probs = el("p", { className: "inspector-empty", text: "Waiting for the agent's figures…" });
  else if (!m.probabilities) probs = el("p", { className: "inspector-empty", text: "This room's policy gives no action probabilities." });
  else {
    probs = el("div", { className: "probs", id: "probs" },
      ...Object.entries(m.probabilities).map(([name, p]) =>
        el("div", { className: `prob ${name === m.action ? "chosen" : ""}`, dataset: { action: name } },
          el("span", { className: "name", text: name }),
          el("span", { className: "bar" }, el("b", { style: `width:${(100 * p).toFixed(1)}%` })),
          el("span", { className: "p", text: p.toFixed(2) }))));
  }
  box.replaceChildren(kv, probs,
    el("p", { className: "muted small", text: "Highlighted: the action it took. Esc or a second click stops inspecting." }));
}
