// @ts-check
// The compare page (/compare?rooms=A&rooms=B...): the rooms' learning curves on shared axes, one
// colour per room (curves.js), and their configs as a diff: policy, agents, seed, speed, then
// every config field whose value is not the same in every room, one column per room. Rooms that
// are not there (or private) are named in a banner. Running rooms' curves follow as episodes end
// (GET /api/rooms every few seconds; a room's episodes are fetched again when its count moved).

import { byId, el, speedLabel } from "./common.js";
import { fieldLabel, flatConfig, valueText } from "./config_fields.js";
import { CurveCharts, PALETTE } from "./curves.js";
import { EpisodeCache, baselineSets, experimentData, fetchRooms, sortKeys } from "./experiments.js";

/** @import { RoomInfo } from "./common.js" */

const names = /** @type {string[]} */ (experimentData().rooms || []);
const charts = new CurveCharts(byId("curves"));
const cache = new EpisodeCache();
const banner = byId("compare-banner");
const section = byId("charts");
const diffHead = byId("diff-head");
const diffBody = byId("diff-body");
const diffNote = byId("diff-note");
let baselinesKey = "";
let diffKey = "";

/** The asked rooms that are there, in the order asked. @param {RoomInfo[]} all */
function found(all) {
  /** @type {RoomInfo[]} */
  const out = [];
  const missing = [];
  for (const name of names) {
    const room = all.find((r) => r.name.toLowerCase() === name.toLowerCase());
    if (room) out.push(room);
    else missing.push(name);
  }
  banner.hidden = !missing.length;
  banner.textContent = missing.length
    ? `Not shown: ${missing.map((n) => `“${n}”`).join(", ")} (no such room, or it is private).`
    : "";
  return out;
}

async function load() {
  if (!names.length) {
    diffBody.replaceChildren(el("tr", { className: "empty-row" }, el("td", { text: "No rooms." })));
    return;
  }
  const all = await fetchRooms();
  if (!all) {
    banner.textContent = "The rooms did not load; trying again.";
    banner.hidden = false;
    setTimeout(load, 5000);
    return;
  }
  const rooms = found(all);
  const changed = await cache.refresh(rooms);
  if (changed || !section.dataset.loaded) {
    charts.set(rooms.map((room, i) => ({
      id: room.name,
      label: room.name,
      color: PALETTE[i % PALETTE.length],
      runs: [{ rows: cache.of(room.name), agents: room.agents }],
    })));
    section.dataset.loaded = "1";
    section.dataset.curves = String(rooms.filter((r) => cache.of(r.name).length).length);
  }
  renderDiff(rooms);
  const key = JSON.stringify(rooms.map((r) => [r.agents, sortKeys(r.config?.world ?? null)]));
  if (key !== baselinesKey && rooms.length) {
    baselinesKey = key;
    baselineSets(rooms, (room) => room.name).then((sets) => charts.setBaselines(sets));
  }
  setTimeout(load, rooms.some((r) => r.running) ? 3000 : 15000);
}

/** @param {RoomInfo[]} rooms */
function renderDiff(rooms) {
  const key = JSON.stringify(rooms.map((r) => [r.name, r.policy, r.agents, r.seed, r.speed, r.sweep, sortKeys(r.config ?? null)]));
  if (key === diffKey) return;
  diffKey = key;
  if (!rooms.length) {
    diffHead.replaceChildren();
    diffBody.replaceChildren(el("tr", { className: "empty-row" }, el("td", { text: "None of the rooms is there." })));
    return;
  }
  const configs = rooms.map((r) => flatConfig(r.config));
  const paths = [...new Set(configs.flatMap((c) => [...c.keys()]))];
  const differ = paths.filter((path) => new Set(configs.map((c) => JSON.stringify(c.get(path) ?? null))).size > 1);
  /** @type {[string, (room: RoomInfo, i: number) => unknown, string][]} */
  const rows = [
    ["Policy", (r) => r.policy, "policy"],
    ["Agents", (r) => r.agents, "agents"],
    ["Seed", (r) => (r.seed === undefined ? "–" : r.seed === null ? "random" : r.seed), "seed"],
    ["Speed", (r) => speedLabel(r.speed), "speed"],
    ["Worlds", (r) => r.worlds ?? 1, "worlds"],
    ["Sweep", (r) => r.sweep ?? "–", "sweep"],
    ...differ.map((path) => /** @type {[string, (room: RoomInfo, i: number) => unknown, string]} */ (
      [fieldLabel(path), (_r, i) => configs[i].get(path), path])),
  ];
  diffHead.replaceChildren(el("tr", {}, el("th", { scope: "col" }, el("span", { className: "sr-only", text: "Field" })),
    ...rooms.map((r, i) => el("th", { scope: "col" },
      el("i", { className: "plot-swatch", style: `background:${PALETTE[i % PALETTE.length]}` }),
      el("a", { href: `/rooms/${encodeURIComponent(r.name)}`, text: r.name })))));
  diffBody.replaceChildren(...rows.map(([label, of, path]) => {
    const values = rooms.map((r, i) => valueText(of(r, i)));
    const same = new Set(values).size === 1;
    return el("tr", { dataset: { path }, className: same ? "same" : "differs" },
      el("th", { scope: "row", text: label, title: path.includes(".") ? path : "" }),
      ...values.map((v) => el("td", { className: "num", text: v })));
  }));
  const hasConfig = rooms.some((r) => r.config);
  diffNote.textContent = !hasConfig ? "(this server gives no configs)"
    : differ.length ? `${differ.length} config field${differ.length === 1 ? "" : "s"} differ; the other ${paths.length - differ.length} are the same in every room`
      : `the ${paths.length} config fields are the same in every room`;
}

window.simrooms = { curves: charts }; // for tests and the curious
load();
