// @ts-check
// The stat cards: the tick and episode, then this episode's products, efficiency and total
// reward, each beside the last episode's value and the mean of the last 10 episodes (from the
// room's episode history, which the charts hold), and each card saying what its figure is (a
// tooltip, and the same words for screen readers). The reward's words give the room's own
// reward and shaping figures once its config is known.

import { byId, fmt, setText } from "./common.js";

/** @import { Figures, Snapshot } from "./common.js" */
/**
 * A card of an episode's figure: its key in the Snapshot's stats and the episodes' rows, how
 * many decimals it shows, and what it is.
 * @typedef {{ id: string, key: "products_created" | "efficiency" | "total_reward", digits: number,
 *   meanDigits: number, help: (world: Record<string, unknown> | null) => string }} FigureCard
 */

/** Means over this many episodes. */
export const MEAN_OF = 10;

/** @param {Record<string, unknown> | null} world @param {string} key */
function figure(world, key) {
  const value = world?.[key];
  return typeof value === "number" ? String(value) : null;
}

/** @param {Record<string, unknown> | null} world */
function rewardHelp(world) {
  const product = figure(world, "product_reward");
  const pick = figure(world, "pick_reward");
  const step = figure(world, "shaping_scale");
  const penalty = figure(world, "out_of_energy_penalty");
  const shaping = [
    pick ? `+${pick} per pick` : "a little per pick",
    step ? `+${step} per cell an agent comes closer to its goal (−${step} per cell away)` : "a little per cell an agent comes closer to its goal (as much off per cell away)",
    penalty && Number(penalty) !== 0 ? `−${penalty} when an agent runs out of energy` : null,
  ].filter(Boolean);
  return `Total reward this episode: every agent's rewards summed, shaping included. An agent earns ${product ? `+${product}` : "a reward"} `
    + `per product it makes; shaping adds small rewards that guide learning towards products: ${shaping.join(", ")}.`;
}

/** @type {FigureCard[]} */
const CARDS = [
  {
    id: "products", key: "products_created", digits: 0, meanDigits: 1,
    help: () => "Products made this episode: each carried resource dropped at a factory becomes a product.",
  },
  {
    id: "efficiency", key: "efficiency", digits: 2, meanDigits: 2,
    help: () => "Efficiency this episode: products per 100 units of energy the agents spent (moves, picks and drops cost "
      + "energy). On the default 20×20 world a perfect run is about 8.",
  },
  { id: "reward", key: "total_reward", digits: 2, meanDigits: 2, help: rewardHelp },
];

export class StatCards {
  constructor() {
    this.tick = byId("stat-tick");
    this.episode = byId("stat-episode");
    this.cards = CARDS.map((card) => ({
      card,
      box: byId(`card-${card.id}`),
      value: byId(`stat-${card.id}`),
      last: byId(`stat-${card.id}-last`),
      mean: byId(`stat-${card.id}-mean`),
      meanLabel: byId(`stat-${card.id}-mean-label`),
      help: byId(`stat-${card.id}-help`),
    }));
    this.setConfig(null);
  }

  /** The room's world config (its RoomInfo's `config.world`): the reward's words. @param {Record<string, unknown> | null} world */
  setConfig(world) {
    for (const { card, box, help } of this.cards) {
      const text = card.help(world);
      box.title = text;
      setText(help, text);
    }
  }

  /**
   * @param {Snapshot} s the Snapshot on screen
   * @param {Figures[]} episodes the room's finished episodes, in episode order
   */
  render(s, episodes) {
    setText(this.tick, s.tick);
    setText(this.episode, s.episode);
    const before = finishedBefore(episodes, s.episode);
    const last = before[before.length - 1];
    for (const { card, value, last: lastBox, mean, meanLabel } of this.cards) {
      const now = s.stats?.[card.key];
      setText(value, card.digits ? fmt(now, card.digits) : now ?? "–");
      const then = last?.[card.key];
      setText(lastBox, typeof then === "number" ? fmt(then, card.digits) : "–");
      const values = before.map((e) => e[card.key]).filter(/** @returns {v is number} */ (v) => typeof v === "number" && Number.isFinite(v));
      const sum = values.reduce((a, v) => a + v, 0);
      setText(mean, values.length ? fmt(sum / values.length, card.meanDigits) : "–");
      setText(meanLabel, values.length && values.length < MEAN_OF ? `mean of ${values.length}` : `mean of ${MEAN_OF}`);
    }
  }

  /** A room that is gone: no figures. */
  clear() {
    for (const box of [this.tick, this.episode]) setText(box, "–");
    for (const { value, last, mean } of this.cards) for (const box of [value, last, mean]) setText(box, "–");
  }
}

/**
 * The last MEAN_OF episodes that ended before `episode` (the one on screen), oldest first.
 * @param {Figures[]} episodes in episode order
 * @param {number} episode
 */
function finishedBefore(episodes, episode) {
  let end = episodes.length;
  while (end > 0 && episodes[end - 1].episode >= episode) end--;
  return episodes.slice(Math.max(0, end - MEAN_OF), end);
}
