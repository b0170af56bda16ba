// @ts-check
// The sweep page (/sweeps/<name>): GET /api/sweeps/<name> every few seconds; the learning
// curves grouped by grid point, each the mean over its seeds with a min-max band (curves.js);
// a table of final figures per grid point (each room's last 10 episodes, then mean ± sd and
// min-max over the seeds); the rooms with links; start all, stop all (start_game / stop_game
// per room, one at a time: the server allows 20 events a second) and delete all (delete_sweep,
// after a confirm). An unknown sweep shows "No such sweep".

import { byId, connect, el, fmt, getJson, request, speedLabel, toast } from "./common.js";
import { fieldLabel, valueText } from "./config_fields.js";
import { CurveCharts, PALETTE } from "./curves.js";
import { EpisodeCache, LAST_EPISODES, baselineSets, experimentData, finalOf, pointText, sortKeys, spread } from "./experiments.js";

/** @import { RoomInfo, Sweep } from "./common.js" */
/** @import { Source } from "./curves.js" */

const name = String(experimentData().sweep || "");
const charts = new CurveCharts(byId("curves"), { bandLabel: "lowest to highest seed" });
const cache = new EpisodeCache();
const ui = {
  body: byId("sweep-body"), missing: byId("sweep-missing"), banner: byId("sweep-banner"), state: byId("sweep-state"),
  facts: byId("sweep-facts"), progress: byId("sweep-progress"), final: byId("final-body"), rooms: byId("sweep-rooms-body"),
  roomsCount: byId("sweep-rooms-count"), compare: /** @type {HTMLAnchorElement} */ (byId("sweep-compare")),
  start: /** @type {HTMLButtonElement} */ (byId("sweep-start")), stop: /** @type {HTMLButtonElement} */ (byId("sweep-stop")),
  del: /** @type {HTMLButtonElement} */ (byId("sweep-delete")), section: byId("charts"),
};
/** @type {Sweep | null} */
let sweep = null;
let busy = false;
let gone = false;
/** @type {string} the rooms' worlds and agents the baselines were fetched for */
let baselinesKey = "";

const socket = connect({});
socket.on("room_list", () => soon());

/** A grid point's key (its fields sorted). @param {RoomInfo} room */
function pointKey(room) {
  return JSON.stringify(sortKeys(room.sweep_point || {}));
}

/** @param {RoomInfo[]} rooms @returns {{ key: string, label: string, color: string, rooms: RoomInfo[] }[]} */
function groups(rooms) {
  /** @type {Map<string, RoomInfo[]>} */
  const byPoint = new Map();
  for (const room of rooms) {
    const key = pointKey(room);
    if (!byPoint.has(key)) byPoint.set(key, []);
    byPoint.get(key)?.push(room);
  }
  return [...byPoint.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([key, list], i) => ({
    key,
    label: pointText(list[0].sweep_point),
    color: PALETTE[i % PALETTE.length],
    rooms: list.sort((a, b) => (a.seed ?? 0) - (b.seed ?? 0)),
  }));
}

/** @type {number | undefined} */
let timer;
function soon() {
  clearTimeout(timer);
  timer = setTimeout(load, 400);
}

/** whether a load is under way, and whether another was asked meanwhile (one chain of timers) */
let loading = false;
let again = false;

async function load() {
  if (loading) {
    again = true;
    return;
  }
  loading = true;
  try {
    await loadOnce();
  } finally {
    loading = false;
  }
  if (again) {
    again = false;
    load();
  }
}

async function loadOnce() {
  clearTimeout(timer);
  if (gone) return;
  const status = {};
  const body = /** @type {Sweep | null} */ (await getJson(`/api/sweeps/${encodeURIComponent(name)}`, status));
  if (!body) {
    if (/** @type {{ status?: number }} */ (status).status === 404) showMissing();
    else {
      ui.banner.textContent = "The sweep did not load; trying again.";
      ui.banner.hidden = false;
    }
    timer = setTimeout(load, 5000);
    return;
  }
  ui.banner.hidden = true;
  sweep = body;
  ui.missing.hidden = true;
  ui.body.hidden = false;
  const rooms = body.rooms || [];
  renderHead(body);
  const changed = await cache.refresh(rooms);
  const gs = groups(rooms);
  if (changed || !ui.section.dataset.loaded) draw(gs);
  renderRooms(gs);
  renderFinal(gs);
  const key = JSON.stringify(rooms.map((r) => [r.agents, sortKeys(r.config?.world ?? null)]));
  if (key !== baselinesKey && rooms.length) {
    baselinesKey = key;
    baselineSets(rooms, (room) => pointText(room.sweep_point)).then((sets) => charts.setBaselines(sets));
  }
  timer = setTimeout(load, rooms.some((r) => r.running) ? 3000 : 10000);
}

function showMissing() {
  sweep = null;
  ui.body.hidden = true;
  ui.missing.hidden = false;
  ui.state.textContent = "not found";
  ui.facts.textContent = "";
  document.body.dataset.sweep = "missing";
}

/** @param {Sweep} s */
function renderHead(s) {
  const rooms = s.rooms || [];
  const running = rooms.filter((r) => r.running).length;
  ui.state.textContent = `${running} of ${rooms.length} running`;
  ui.state.className = `badge ${running ? "badge-running" : "badge-stopped"}`;
  const grid = Object.entries(s.grid || {}).map(([path, values]) => `${fieldLabel(path)}: ${values.map(valueText).join(", ")}`);
  const base = /** @type {Record<string, unknown>} */ (s.room || {});
  ui.facts.replaceChildren(
    el("span", { text: `owner ${s.owner}` }),
    el("span", { text: `${base.policy ?? rooms[0]?.policy ?? "–"}, ${base.agents ?? rooms[0]?.agents ?? "–"} agents, speed ${speedLabel(base.speed ?? rooms[0]?.speed)}` }),
    el("span", { text: `seeds ${(s.seeds || []).join(", ")}` }),
    el("span", { text: grid.length ? `grid: ${grid.join("; ")}` : "no grid (seeds only)" }),
  );
  document.body.dataset.sweep = "loaded";
  ui.compare.href = `/compare?${new URLSearchParams(rooms.map((r) => ["rooms", r.name]))}`;
}

/** @param {ReturnType<typeof groups>} gs */
function draw(gs) {
  /** @type {Source[]} */
  const sources = gs.map((g) => ({
    id: g.key,
    label: g.label,
    color: g.color,
    runs: g.rooms.map((r) => ({ rows: cache.of(r.name), agents: r.agents })).filter((run) => run.rows.length > 0),
  })).filter((s) => s.runs.length > 0);
  charts.set(sources);
  ui.section.dataset.loaded = "1";
  ui.section.dataset.curves = String(sources.length);
  ui.section.dataset.episodes = String(gs.reduce((n, g) => n + g.rooms.reduce((m, r) => m + cache.of(r.name).length, 0), 0));
}

/** @param {ReturnType<typeof groups>} gs */
function renderRooms(gs) {
  const rooms = gs.flatMap((g) => g.rooms.map((room) => ({ room, g })));
  ui.roomsCount.textContent = `${rooms.length} room${rooms.length === 1 ? "" : "s"}`;
  if (!rooms.length) {
    ui.rooms.replaceChildren(el("tr", { className: "empty-row" }, el("td", { colSpan: 6, text: "This sweep has no rooms you may see." })));
    return;
  }
  ui.rooms.replaceChildren(...rooms.map(({ room, g }) => {
    const state = room.running ? "running" : "stopped";
    return el("tr", { dataset: { room: room.name } },
      el("td", { className: "name" }, el("a", { href: `/rooms/${encodeURIComponent(room.name)}`, text: room.name })),
      el("td", {}, el("i", { className: "plot-swatch", style: `background:${g.color}` }), g.label),
      el("td", { className: "num", text: room.seed ?? "–" }),
      el("td", {}, el("span", { className: `badge badge-${state}`, text: state })),
      el("td", { className: "num", text: room.episode }),
      el("td", { className: "num mono", text: room.tick }));
  }));
}

/** @param {{ mean: number, sd: number, min: number, max: number } | null} s */
function meanSd(s) {
  return s ? `${fmt(s.mean, 2)} ± ${fmt(s.sd, 2)}` : "–";
}

/** @param {{ mean: number, sd: number, min: number, max: number } | null} s */
function range(s) {
  return s ? `${fmt(s.min, 2)} – ${fmt(s.max, 2)}` : "–";
}

/** @param {ReturnType<typeof groups>} gs */
function renderFinal(gs) {
  if (!gs.length) {
    ui.final.replaceChildren(el("tr", { className: "empty-row" }, el("td", { colSpan: 7, text: "No rooms." })));
    return;
  }
  ui.final.replaceChildren(...gs.map((g) => {
    const finals = g.rooms.map((r) => finalOf(cache.of(r.name), r.agents)).filter((f) => f !== null);
    const products = spread(finals.map((f) => f.products).filter((v) => v !== null));
    const ret = spread(finals.map((f) => f.ret).filter((v) => v !== null));
    const episodes = finals.map((f) => f.episodes);
    return el("tr", { dataset: { point: g.key } },
      el("th", { scope: "row" }, el("i", { className: "plot-swatch", style: `background:${g.color}` }), g.label),
      el("td", { className: "num", text: `${finals.length} of ${g.rooms.length}` }),
      el("td", { className: "num", text: episodes.length ? `${Math.min(...episodes)}–${Math.max(...episodes)}` : "–",
        title: `Finished episodes per room (the figures use the last ${LAST_EPISODES} of each)` }),
      el("td", { className: "num", text: meanSd(products) }),
      el("td", { className: "num", text: range(products) }),
      el("td", { className: "num", text: meanSd(ret) }),
      el("td", { className: "num", text: range(ret) }));
  }));
}

/**
 * Send `event` for each room that needs it, one at a time (the server allows 20 events a
 * second per connection), saying how far it got.
 * @param {"start_game" | "stop_game"} event @param {(room: RoomInfo) => boolean} needs @param {string} done
 */
async function each(event, needs, done) {
  if (!sweep || busy) return;
  busy = true;
  syncButtons();
  const todo = (sweep.rooms || []).filter(needs);
  let n = 0;
  const failed = [];
  for (const room of todo) {
    const ack = await request(socket, event, { room: room.name });
    if (ack.ok) n++;
    else failed.push(`${room.name}: ${ack.error.message}`);
    ui.progress.textContent = `${n} of ${todo.length} ${done}`;
    await new Promise((resolve) => setTimeout(resolve, 60));
  }
  busy = false;
  syncButtons();
  if (failed.length) toast(`${failed.length} refused: ${failed[0]}`, "error", 6000);
  else if (!todo.length) ui.progress.textContent = `nothing to do: every room is already ${done}`;
  load();
}

function syncButtons() {
  ui.start.disabled = busy;
  ui.stop.disabled = busy;
  ui.del.disabled = busy;
}

ui.start.addEventListener("click", () => each("start_game", (r) => !r.running, "started"));
ui.stop.addEventListener("click", () => each("stop_game", (r) => r.running, "stopped"));
ui.del.addEventListener("click", async () => {
  if (!sweep || busy) return;
  const count = (sweep.rooms || []).length;
  if (!confirm(`Delete the sweep “${name}” and its ${count} room${count === 1 ? "" : "s"}? Their episodes go with them.`)) return;
  busy = true;
  syncButtons();
  const ack = await request(socket, "delete_sweep", { name });
  busy = false;
  syncButtons();
  if (!ack.ok) {
    toast(ack.error.message, "error", 6000);
    return;
  }
  gone = true;
  clearTimeout(timer);
  ui.body.hidden = true;
  ui.missing.hidden = true;
  ui.banner.className = "banner gone";
  ui.banner.replaceChildren(el("strong", { text: "The sweep is deleted, with its rooms." }), " ", el("a", { className: "btn btn-small", href: "/", text: "Back to the lobby" }));
  ui.banner.hidden = false;
  ui.state.textContent = "deleted";
  ui.state.className = "badge badge-stopped";
});

window.simrooms = { curves: charts }; // for tests and the curious
load();
