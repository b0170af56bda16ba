// @ts-check
// The admin page: every room with its measured tick rate, lag, members and state size, the
// connected users; stop or delete a room. Figures from GET /api/admin/rooms every 2 s (and on
// room_list); stop and delete are the ordinary socket events, which admins may send.

import { byId as $, clock, connect, el, fmt, request, speedLabel, toast } from "./common.js";

/** @import { Speed } from "./common.js" */
/**
 * GET /api/admin/rooms's answer.
 * @typedef {{ name: string, owner: string, public: boolean, running: boolean, error: string | null,
 *   speed: Speed, tick: number, episode: number, tick_rate: number | null, target_rate: number | null,
 *   worlds: number, lag_ms: number, members: string[], observers: number, state_bytes: number | null }} AdminRoom
 * @typedef {{ name: string, admin: boolean, connections: number, rooms: string[] }} AdminUser
 * @typedef {{ ts: number, server: { connections: number, users: number, rooms: number, running: number },
 *   rooms: AdminRoom[], users: AdminUser[] }} AdminData
 */

const POLL_MS = 2000;
/** @type {number | undefined} */
let timer;
let loading = false;

const socket = connect({ onConnect: () => refresh() });
socket.on("room_list", () => refresh());

async function refresh() {
  if (loading) return;
  loading = true;
  clearTimeout(timer);
  try {
    const answer = await fetch("/api/admin/rooms", { headers: { Accept: "application/json" }, cache: "no-store" });
    if (answer.status === 401 || answer.status === 403) {
      $("admin-updated").textContent = answer.status === 401 ? "signed out" : "admins only";
      return;
    }
    if (answer.ok) render(await answer.json());
  } catch {
    $("admin-updated").textContent = "server unreachable";
  } finally {
    loading = false;
    timer = setTimeout(refresh, POLL_MS);
  }
}

/** @param {number | null} n */
function bytes(n) {
  if (typeof n !== "number") return "–";
  return n < 10240 ? `${n} B` : `${(n / 1024).toFixed(1)} KiB`;
}

/** @param {AdminData} data */
function render(data) {
  $("sum-connections").textContent = String(data.server.connections);
  $("sum-users").textContent = String(data.server.users);
  $("sum-rooms").textContent = String(data.server.rooms);
  $("sum-running").textContent = String(data.server.running);
  $("admin-updated").textContent = `updated ${clock(data.ts)}`;
  const rooms = $("admin-rooms-body");
  if (!data.rooms.length) {
    rooms.replaceChildren(el("tr", { className: "empty-row" }, el("td", { colSpan: 10, text: "No rooms." })));
  } else {
    rooms.replaceChildren(...data.rooms.map((room) => {
      const rate = room.tick_rate === null ? "–" : fmt(room.tick_rate, 1);
      const target = room.target_rate !== null ? fmt(room.target_rate, 1)
        : room.worlds > 1 ? `max (${room.worlds} worlds)` : "max";
      const lagClass = room.lag_ms > 250 ? "lag-bad" : room.lag_ms > 50 ? "lag-warn" : "";
      const state = room.running ? "running" : "stopped";
      return el("tr", { dataset: { room: room.name } },
        el("td", {}, el("a", { href: `/rooms/${encodeURIComponent(room.name)}`, text: room.name }),
          room.public ? null : el("span", { className: "badge badge-private", text: "private", style: "margin-left:.4rem" })),
        el("td", { text: room.owner }),
        el("td", { title: room.error || "" },
          el("span", { className: `badge badge-${state}`, text: room.error ? "failed" : state }),
          el("span", { className: "muted small", text: ` ${speedLabel(room.speed)}` })),
        el("td", { className: "num mono", text: room.tick }),
        el("td", { className: "num", text: room.episode }),
        el("td", { className: "num", text: room.running ? `${rate} / ${target}` : rate }),
        el("td", { className: `num ${lagClass}`, text: `${fmt(room.lag_ms, 0)} ms` }),
        el("td", { className: "num", title: room.members.join(", "), text: room.observers }),
        el("td", { className: "num", text: bytes(room.state_bytes) }),
        el("td", { className: "num" },
          el("button", { className: "btn btn-small", text: "Stop", disabled: !room.running,
            onclick: () => act("stop_game", room.name) }),
          " ",
          el("button", { className: "btn btn-small btn-danger", text: "Delete",
            onclick: () => confirm(`Delete room “${room.name}”? Its members are dropped.`) && act("delete_room", room.name) })),
      );
    }));
  }
  const users = $("admin-users-body");
  if (!data.users.length) {
    users.replaceChildren(el("tr", { className: "empty-row" }, el("td", { colSpan: 3, text: "Nobody is connected." })));
  } else {
    users.replaceChildren(...data.users.map((user) => el("tr", {},
      el("td", {}, user.name, user.admin ? el("span", { className: "badge badge-admin", text: "admin", style: "margin-left:.4rem" }) : null),
      el("td", { className: "num", text: user.connections }),
      el("td", { text: user.rooms.join(", ") || "–" }))));
  }
}

/** @param {"stop_game" | "delete_room"} event @param {string} room */
async function act(event, room) {
  const ack = await request(socket, event, { room });
  if (!ack.ok) toast(ack.error.message, "error");
  else toast(event === "delete_room" ? `Deleted “${room}”.` : `Stopped “${room}”.`);
  refresh();
}
