// @ts-check
// The room's whole episode history for the charts: GET /api/rooms/<name>/episodes (every
// finished episode of the room's life, oldest first, across restarts, a fork's origin's included),
// its rows as the `metrics` figures the charts draw, and a downsampling to a few hundred points
// (bucket means, first and last kept) for long histories.

/** @import { Figures } from "./common.js" */

/** Charts draw at most about this many points per series. */
export const MAX_POINTS = 500;

/**
 * An episodes API row as `metrics` figures: `products` is `products_created` when the row has
 * no training figures (rooms that do not learn).
 * @param {Record<string, unknown>} row
 * @returns {Figures | null}
 */
export function figuresOf(row) {
  if (!row || typeof row.episode !== "number") return null;
  const figures = /** @type {Figures} */ ({ ...row });
  if (typeof figures.products !== "number" && typeof row.products_created === "number") {
    figures.products = row.products_created;
  }
  return figures;
}

/**
 * Every finished episode of the room, oldest first; null when the request failed.
 * @param {string} room
 * @returns {Promise<Figures[] | null>}
 */
export async function fetchEpisodes(room) {
  try {
    const answer = await fetch(`/api/rooms/${encodeURIComponent(room)}/episodes`, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
      cache: "no-store",
    });
    if (!answer.ok) return null;
    const body = await answer.json();
    if (!body || !Array.isArray(body.episodes)) return null;
    /** @type {Figures[]} */
    const episodes = [];
    for (const row of body.episodes) {
      const figures = figuresOf(row);
      if (figures) episodes.push(figures);
    }
    return episodes;
  } catch (error) {
    console.warn("The room's episodes did not load.", error);
    return null;
  }
}

/** @param {unknown} value */
function finite(value) {
  return typeof value === "number" && Number.isFinite(value);
}

/**
 * At most `max` points: the first and the last as they are, the rest in equal runs of
 * consecutive episodes, each drawn as the mean of each figure (and of its episode numbers).
 * @param {Figures[]} points in episode order
 * @param {readonly string[]} keys the figures to keep
 * @param {number} [max]
 * @returns {Figures[]}
 */
export function downsample(points, keys, max = MAX_POINTS) {
  if (points.length <= max || max < 3) return points;
  const inner = points.length - 2;
  const buckets = max - 2;
  /** @type {Figures[]} */
  const out = [points[0]];
  for (let b = 0; b < buckets; b++) {
    const from = 1 + Math.floor((b * inner) / buckets);
    const to = 1 + Math.floor(((b + 1) * inner) / buckets);
    if (to <= from) continue;
    let episodes = 0;
    /** @type {Figures} */
    const mean = { episode: 0 };
    for (const key of keys) {
      let sum = 0;
      let n = 0;
      for (let i = from; i < to; i++) {
        const value = points[i][key];
        if (finite(value)) {
          sum += /** @type {number} */ (value);
          n++;
        }
      }
      mean[key] = n ? sum / n : null;
    }
    for (let i = from; i < to; i++) episodes += points[i].episode;
    mean.episode = episodes / (to - from);
    out.push(mean);
  }
  out.push(points[points.length - 1]);
  return out;
}
