// @ts-check
// The lobby: the rooms the user may see, live from room_list (checkboxes pick rooms for the
// compare page; the owner's rows, and every row for admins, have a "⋯" button that shows the
// room's actions, rename, duplicate and delete, in a row under it: room_owner.js), the sweeps
// (GET /api/sweeps), the create-room form with its "advanced" part built from the config schema
// (config_fields.js: values are checked against the schema's bounds with readable messages
// before anything is sent; the server's own sentence shows next to the field it names), and the
// sweep form (lobby_sweep.js).

import { byId, connect, el, getJson, page, request, speedLabel, toast } from "./common.js";
import { configFieldsets, loadFields, readConfig } from "./config_fields.js";
import { SweepForm } from "./lobby_sweep.js";
import { deleteRoom, duplicateRoom, mayManage, renameRoom, roomUrl } from "./room_owner.js";

/** @import { ErrorBody, RoomInfo } from "./common.js" */
/** @import { Field } from "./config_fields.js" */

const body = byId("rooms-body");
const count = byId("rooms-count");
const form = /** @type {HTMLFormElement} */ (byId("create-form"));
const formError = byId("create-error");
const createButton = /** @type {HTMLButtonElement} */ (byId("create-button"));
const turbo = /** @type {HTMLInputElement} */ (form.elements.namedItem("turbo"));
const speedInput = /** @type {HTMLInputElement} */ (form.elements.namedItem("speed"));
const FIELDS = ["name", "agents", "policy", "seed", "speed", "public"];
/** The most agents a room holds (env.config.MAX_AGENTS). */
const MAX_AGENTS = 8;
const compareButton = /** @type {HTMLButtonElement} */ (byId("compare-button"));
const sweepsList = byId("sweeps-list");
const sweepsCount = byId("sweeps-count");
const advancedBox = byId("advanced-fields");
const advanced = /** @type {HTMLDetailsElement} */ (byId("advanced"));

/** @type {RoomInfo[] | null} */
let rooms = null;
/** The rooms checked for comparing, by name (kept across redraws). @type {Set<string>} */
const checked = new Set();
/** @type {Field[]} the config's fields, once the schema loaded */
let configFields = [];

const socket = connect({
  onConnect: async () => {
    const ack = await request(socket, "list_rooms", {});
    if (ack.ok) render(ack.rooms);
    else toast(ack.error.message, "error");
    loadSweeps();
  },
});
socket.on("room_list", (message) => {
  render(message.rooms || []);
  sweepsSoon();
});
const sweepForm = new SweepForm(socket);

// room_list comes when rooms appear, vanish, start or stop; ticks and watchers move in between.
setInterval(async () => {
  if (document.hidden || !socket.connected) return;
  const ack = await request(socket, "list_rooms", {});
  if (ack.ok) render(ack.rooms);
}, 5000);

// ------------------------------------------------------------------ sweeps

/** @type {number | undefined} */
let sweepsTimer;
function sweepsSoon() {
  clearTimeout(sweepsTimer);
  sweepsTimer = setTimeout(loadSweeps, 300);
}

/** The sweeps the user may see, each linking to its page. */
async function loadSweeps() {
  const status = {};
  const body = /** @type {{ sweeps?: { name: string, owner: string, seeds?: number[], grid?: Record<string, unknown[]>, rooms?: RoomInfo[] }[] } | null} */ (
    await getJson("/api/sweeps", status));
  if (!body || !Array.isArray(body.sweeps)) {
    sweepsList.replaceChildren(el("li", { className: "muted", text: "The sweeps did not load." }));
    return;
  }
  const sweeps = [...body.sweeps].sort((a, b) => a.name.toLowerCase().localeCompare(b.name.toLowerCase()));
  sweepsCount.textContent = `${sweeps.length} sweep${sweeps.length === 1 ? "" : "s"}`;
  if (!sweeps.length) {
    sweepsList.replaceChildren(el("li", { className: "muted", text: "No sweeps yet: make one with the sweep form." }));
    return;
  }
  sweepsList.replaceChildren(...sweeps.map((sweep) => {
    const grid = Object.keys(sweep.grid || {});
    const running = (sweep.rooms || []).filter((r) => r.running).length;
    return el("li", { dataset: { sweep: sweep.name } },
      el("a", { href: `/sweeps/${encodeURIComponent(sweep.name)}`, text: sweep.name }),
      el("span", { className: "muted small", text:
        ` · ${sweep.owner} · ${(sweep.rooms || []).length} rooms (${running} running) · ${(sweep.seeds || []).length} seeds${grid.length ? ` · over ${grid.join(", ")}` : ""}` }));
  }));
}

// ------------------------------------------------------------------ compare

function syncCompare() {
  const known = new Set((rooms || []).map((r) => r.name));
  for (const name of [...checked]) if (!known.has(name)) checked.delete(name);
  compareButton.disabled = checked.size < 1;
  compareButton.textContent = checked.size ? `Compare ${checked.size}` : "Compare";
}

compareButton.addEventListener("click", () => {
  const query = new URLSearchParams();
  for (const name of [...checked].sort()) query.append("rooms", name);
  location.assign(`/compare?${query}`);
});

// ------------------------------------------------------------------ the rooms table

/** The room whose actions are shown, by name (kept across redraws). @type {string | null} */
let openMenu = null;

/**
 * The owner's actions on a row: a disclosure button ("⋯", named "Manage room X") that shows,
 * in a row of their own under the room's (the table scrolls sideways, which would clip a
 * pop-up), Rename, Duplicate and Delete.
 * @param {RoomInfo} room
 */
function menuButton(room) {
  const open = openMenu === room.name;
  return el("button", { type: "button", className: "btn btn-small btn-touch row-menu", text: "⋯",
    title: "Rename, duplicate or delete this room", "aria-label": `Manage room ${room.name}`,
    "aria-expanded": String(open), "aria-controls": open ? "room-actions" : null, dataset: { focus: "menu" },
    onclick: () => toggleMenu(open ? null : room.name) });
}

/** @param {string | null} name the room whose actions to show (null: none) */
function toggleMenu(name) {
  openMenu = name;
  if (rooms) render(rooms);
}

/** A room's "⋯" button in the table as drawn now. @param {string} name */
function menuButtonOf(name) {
  return /** @type {HTMLElement | null} */ (body.querySelector(`tr[data-room="${CSS.escape(name)}"] [data-focus=menu]`));
}

/** The row of a room's actions, under its own. @param {RoomInfo} room */
function actionsRow(room) {
  /** @param {string} act @param {string} text @param {(socket: Socket, info: RoomInfo) => Promise<unknown>} action */
  const item = (act, text, action) => el("button", {
    type: "button", className: `btn btn-small btn-touch${act === "delete" ? " btn-danger" : ""}`, text,
    dataset: { act, focus: act }, onclick: () => {
      menuButtonOf(room.name)?.focus(); // where the dialog gives the focus back
      toggleMenu(null);
      action(socket, room);
    },
  });
  const row = el("tr", { className: "row-actions", id: "room-actions", dataset: { actionsFor: room.name } },
    el("td", { colSpan: 10 }, el("div", { className: "row-menu-list", role: "group", "aria-label": `Actions for room ${room.name}` },
      item("rename", "Rename…", renameRoom), item("duplicate", "Duplicate…", duplicateRoom), item("delete", "Delete…", deleteRoom))));
  row.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    toggleMenu(null);
    menuButtonOf(room.name)?.focus();
  });
  return row;
}

/** What has the focus in the table (its row's room and its `data-focus`), to give it back after a redraw. */
function focused() {
  const active = document.activeElement;
  if (!(active instanceof HTMLElement) || !body.contains(active) || !active.dataset.focus) return null;
  const row = /** @type {HTMLElement | null} */ (active.closest("tr"));
  const room = row?.dataset.room ?? row?.dataset.actionsFor;
  return room === undefined ? null : { room, key: active.dataset.focus };
}

/** @param {RoomInfo[]} list */
function render(list) {
  rooms = [...list].sort((a, b) => a.name.toLowerCase().localeCompare(b.name.toLowerCase()));
  const focus = focused();
  count.textContent = `${rooms.length} room${rooms.length === 1 ? "" : "s"}`;
  if (!rooms.length) {
    body.replaceChildren(el("tr", { className: "empty-row" },
      el("td", { colSpan: 10, text: "No rooms yet: create the first one with the form." })));
    syncCompare();
    return;
  }
  body.replaceChildren(...rooms.flatMap((room) => {
    const state = room.running ? "running" : "stopped";
    const box = el("input", { type: "checkbox", className: "compare-check", checked: checked.has(room.name),
      "aria-label": `Compare ${room.name}`, dataset: { room: room.name, focus: "pick" } });
    box.addEventListener("change", () => {
      if (box.checked) checked.add(room.name);
      else checked.delete(room.name);
      syncCompare();
    });
    const manage = mayManage(room);
    const row = el("tr", { dataset: { room: room.name } },
      el("td", { className: "pick" }, box),
      el("td", { className: "name" },
        el("a", { href: roomUrl(room.name), text: room.name, dataset: { focus: "name" } }),
        room.public ? null : el("span", { className: "badge badge-private", text: "private", style: "margin-left:.4rem" })),
      el("td", { className: "opt", text: room.owner + (room.owner === page.user ? " (you)" : "") }),
      el("td", { className: "num opt", text: room.agents }),
      el("td", { className: "opt", text: room.policy }),
      el("td", {}, el("span", { className: `badge badge-${state}`, text: state }),
        el("span", { className: "muted small opt", text: ` ${speedLabel(room.speed)}` })),
      el("td", { className: "num mono", text: room.tick }),
      el("td", { className: "num opt", text: room.episode }),
      el("td", { className: "num opt", text: room.observers }),
      el("td", { className: "num actions" }, el("a", { className: "btn btn-small", href: roomUrl(room.name), text: "Join", dataset: { focus: "join" } }),
        manage ? menuButton(room) : null),
    );
    return manage && openMenu === room.name ? [row, actionsRow(room)] : [row];
  }));
  if (focus) {
    const key = CSS.escape(focus.room);
    /** @type {HTMLElement | null} */ (body.querySelector(
      `tr[data-room="${key}"] [data-focus="${focus.key}"], tr[data-actions-for="${key}"] [data-focus="${focus.key}"]`))?.focus();
  }
  syncCompare();
}

// ------------------------------------------------------------------ the create form

/** @param {string} name @returns {HTMLElement | null} */
function fieldBox(name) {
  return form.querySelector(`[data-field="${CSS.escape(name)}"]`);
}

function clearErrors() {
  formError.hidden = true;
  formError.textContent = "";
  for (const box of form.querySelectorAll("[data-field]")) {
    box.classList.remove("invalid");
    const small = /** @type {HTMLElement | null} */ (box.querySelector(".field-error"));
    if (small) {
      small.hidden = true;
      small.textContent = "";
    }
  }
}

/** @param {string | null} field @param {string} message */
function showError(field, message) {
  const box = field ? fieldBox(field) : null;
  const small = /** @type {HTMLElement | null | undefined} */ (box?.querySelector(".field-error"));
  if (box && small) {
    if (field?.startsWith("config.")) advanced.open = true;
    box.classList.add("invalid");
    small.textContent = message;
    small.hidden = false;
    /** @type {HTMLInputElement | HTMLSelectElement | null} */ (box.querySelector("input, select"))?.focus();
  } else {
    formError.textContent = message;
    formError.hidden = false;
  }
}

/**
 * The field a server error is about: `conflict` is the name; others name it: "field 'x'".
 * @param {ErrorBody} error
 */
function errorField(error) {
  if (error.code === "conflict") return "name";
  const match = /field '([a-z_.]+)'/.exec(error.message || "");
  if (!match) return null;
  if (match[1].startsWith("config.")) return fieldBox(match[1]) ? match[1] : null;
  return FIELDS.includes(match[1]) ? match[1] : null;
}

/** @param {string} raw */
function numberOrText(raw) {
  const text = raw.trim();
  if (text === "") return null;
  const value = Number(text);
  return Number.isFinite(value) ? value : text;
}

/**
 * Readable sentences for the room's own fields the server would refuse (it still checks).
 * @param {{ agents: unknown, seed: unknown, speed: unknown }} room
 * @returns {Record<string, string>}
 */
export function roomProblems(room) {
  /** @type {Record<string, string>} */
  const problems = {};
  const whole = (/** @type {unknown} */ v) => typeof v === "number" && Number.isInteger(v);
  if (!whole(room.agents) || /** @type {number} */ (room.agents) < 1 || /** @type {number} */ (room.agents) > MAX_AGENTS) {
    problems.agents = `Agents must be 1 to ${MAX_AGENTS}.`;
  }
  if (room.seed !== null && (!whole(room.seed) || /** @type {number} */ (room.seed) < 0)) {
    problems.seed = "Seed must be a whole number, 0 or more (blank: random).";
  }
  if (room.speed !== "max" && (typeof room.speed !== "number" || !(room.speed >= 0.1 && room.speed <= 5))) {
    problems.speed = "Speed must be 0.1 to 5 (or tick max for turbo).";
  }
  return problems;
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  clearErrors();
  const data = new FormData(form);
  const payload = {
    name: String(data.get("name") || ""),
    agents: numberOrText(String(data.get("agents") || "")) ?? 4,
    policy: String(data.get("policy")),
    seed: numberOrText(String(data.get("seed") || "")),
    speed: data.get("turbo") ? "max" : numberOrText(String(data.get("speed") || "")) ?? 1,
    public: data.get("public") === "on",
  };
  // The advanced fields: checked here, and only those filled in are sent (the learner's only
  // for a learning room). So are the room's own numbers.
  const parts = payload.policy === "learning" ? ["world", "learner"] : ["world"];
  const { config, errors } = readConfig(form, configFields, { parts });
  for (const [field, problem] of Object.entries(roomProblems(payload))) errors.set(field, problem);
  if (errors.size) {
    for (const [field, message] of [...errors].reverse()) showError(field, message);
    return;
  }
  if (Object.keys(config).length) /** @type {Record<string, unknown>} */ (payload).config = config;
  createButton.disabled = true;
  const ack = await request(socket, "create_room", payload);
  createButton.disabled = false;
  if (!ack.ok) {
    showError(errorField(ack.error), ack.error.message);
    return;
  }
  toast(`Room “${ack.room.name}” created.`);
  location.assign(roomUrl(ack.room.name));
});

turbo.addEventListener("change", () => {
  speedInput.disabled = turbo.checked;
});

/** The learner's fields are for learning rooms only. */
function syncLearner() {
  const learning = /** @type {HTMLSelectElement} */ (form.elements.namedItem("policy")).value === "learning";
  const part = /** @type {HTMLFieldSetElement | null} */ (advancedBox.querySelector("fieldset[data-part=learner]"));
  if (part) part.disabled = !learning;
}
/** @type {HTMLSelectElement} */ (form.elements.namedItem("policy")).addEventListener("change", syncLearner);

loadFields().then((fields) => {
  if (!fields) {
    advancedBox.replaceChildren(el("p", { className: "form-error", text: "The config's fields did not load: rooms get the defaults." }));
    return;
  }
  configFields = fields;
  advancedBox.replaceChildren(...configFieldsets(fields));
  syncLearner();
  sweepForm.setFields(fields);
});
