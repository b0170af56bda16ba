// @ts-check
// The lobby: the rooms the user may see, live from room_list, and the create-room form that
// shows the server's validation errors next to the fields.

import { byId, connect, el, page, request, speedLabel, toast } from "./common.js";

/** @import { ErrorBody, RoomInfo } from "./common.js" */

const body = byId("rooms-body");
const count = byId("rooms-count");
const form = /** @type {HTMLFormElement} */ (byId("create-form"));
const formError = byId("create-error");
const createButton = /** @type {HTMLButtonElement} */ (byId("create-button"));
const turbo = /** @type {HTMLInputElement} */ (form.elements.namedItem("turbo"));
const speedInput = /** @type {HTMLInputElement} */ (form.elements.namedItem("speed"));
const FIELDS = ["name", "agents", "policy", "seed", "speed", "public"];

/** @type {RoomInfo[] | null} */
let rooms = null;

const socket = connect({
  onConnect: async () => {
    const ack = await request(socket, "list_rooms", {});
    if (ack.ok) render(ack.rooms);
    else toast(ack.error.message, "error");
  },
});
socket.on("room_list", (message) => render(message.rooms || []));

// room_list comes when rooms appear, vanish, start or stop; ticks and watchers move in between.
setInterval(async () => {
  if (document.hidden || !socket.connected) return;
  const ack = await request(socket, "list_rooms", {});
  if (ack.ok) render(ack.rooms);
}, 5000);

/** @param {string} name */
function roomUrl(name) {
  return `/rooms/${encodeURIComponent(name)}`;
}

/** @param {RoomInfo[]} list */
function render(list) {
  rooms = [...list].sort((a, b) => a.name.toLowerCase().localeCompare(b.name.toLowerCase()));
  count.textContent = `${rooms.length} room${rooms.length === 1 ? "" : "s"}`;
  if (!rooms.length) {
    body.replaceChildren(el("tr", { className: "empty-row" },
      el("td", { colSpan: 9, text: "No rooms yet: create the first one with the form." })));
    return;
  }
  body.replaceChildren(...rooms.map((room) => {
    const state = room.running ? "running" : "stopped";
    return el("tr", { dataset: { room: room.name } },
      el("td", { className: "name" },
        el("a", { href: roomUrl(room.name), text: room.name }),
        room.public ? null : el("span", { className: "badge badge-private", text: "private", style: "margin-left:.4rem" })),
      el("td", { className: "opt", text: room.owner + (room.owner === page.user ? " (you)" : "") }),
      el("td", { className: "num opt", text: room.agents }),
      el("td", { className: "opt", text: room.policy }),
      el("td", {}, el("span", { className: `badge badge-${state}`, text: state }),
        el("span", { className: "muted small opt", text: ` ${speedLabel(room.speed)}` })),
      el("td", { className: "num mono", text: room.tick }),
      el("td", { className: "num opt", text: room.episode }),
      el("td", { className: "num opt", text: room.observers }),
      el("td", { className: "num" }, el("a", { className: "btn btn-small", href: roomUrl(room.name), text: "Join" })),
    );
  }));
}

// ------------------------------------------------------------------ the create form

/** @param {string} name @returns {HTMLElement | null} */
function fieldBox(name) {
  return form.querySelector(`[data-field="${name}"]`);
}

function clearErrors() {
  formError.hidden = true;
  formError.textContent = "";
  for (const name of FIELDS) {
    const box = fieldBox(name);
    if (!box) continue;
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
  const match = /field '([a-z_]+)'/.exec(error.message || "");
  return match && FIELDS.includes(match[1]) ? match[1] : null;
}

/** @param {string} raw */
function numberOrText(raw) {
  const text = raw.trim();
  if (text === "") return null;
  const value = Number(text);
  return Number.isFinite(value) ? value : text;
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
