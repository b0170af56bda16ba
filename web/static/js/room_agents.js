// @ts-check
// The agents table: a row per agent, in id order, updated in place, with what each agent is
// doing in words ("carrying 2 to a factory", "out of energy"): its state, and its `goal`, the
// errand the world computes for it (the rule the scripted policy follows; docs/world.md).

import { agentColor } from "./board.js";
import { el, fmt, setText } from "./common.js";

/** @import { AgentState, Snapshot } from "./common.js" */
/**
 * @typedef {{ tr: HTMLTableRowElement, pos: HTMLElement, bar: HTMLElement, energy: HTMLElement,
 *   energyText: HTMLElement, carrying: HTMLElement, doing: HTMLElement, reward: HTMLElement,
 *   action: HTMLElement }} AgentRow
 */

/**
 * What the agent is doing, in words.
 * @param {AgentState} agent
 * @param {Snapshot | null} [where] the Snapshot it is in: what its cell holds
 */
export function doingText(agent, where) {
  if (agent.energy <= 0) return "out of energy";
  // The Snapshot's `goal` (resource, factory or charger); absent from servers before issue 16.
  const goal = /** @type {{ goal?: unknown }} */ (agent).goal;
  const cell = where ? where.legend?.[String(where.grid[agent.y]?.[agent.x])] : undefined;
  const load = agent.carrying;
  const with_ = load ? ` (carrying ${load})` : "";
  switch (goal) {
    case "charger": return cell === "charger" ? `charging${with_}` : `low on energy: going to a charger${with_}`;
    case "factory": return cell === "factory" ? `at a factory with ${load}` : `carrying ${load} to a factory`;
    case "resource": return cell === "resource" ? `at a resource${with_}` : `going to a resource${with_}`;
    default: return cell === "charger" ? `on a charger${with_}` : load ? `carrying ${load}` : "–";
  }
}

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

  /**
   * @param {AgentState[]} agents
   * @param {number | null} selected the inspected agent's id
   * @param {Snapshot | null} [where] the Snapshot they are in (what their cells hold)
   */
  render(agents, selected, where = null) {
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
      setText(row.doing, doingText(agent, where));
      row.tr.classList.toggle("stranded", agent.energy <= 0);
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
    const cell = (/** @type {string} */ label, /** @type {string} */ className) => el("td", { className, dataset: { label } });
    /** @type {AgentRow} */
    const row = {
      tr: el("tr", { dataset: { agent: agent.id }, tabIndex: 0, title: "Inspect this agent" }),
      pos: cell("Position", "mono"),
      bar,
      energy: el("span", { className: "energy" }, bar),
      energyText: el("span"),
      carrying: cell("Carrying", "num"),
      doing: cell("Doing", "doing"),
      reward: cell("Reward", "num"),
      action: cell("Last action", "mono"),
    };
    row.tr.append(
      el("td", { dataset: { label: "Agent" } }, el("span", { className: "swatch", style: `background:${agentColor(agent.id)}` }), `Agent ${agent.id}`),
      row.pos, el("td", { dataset: { label: "Energy" } }, row.energy, row.energyText), row.carrying, row.doing, row.reward, row.action,
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
