// @ts-check
// Who is watching the room, with their roles, drawn by the view (room_view.js) when the state
// marks it. The page's other panels have their own modules: the stat cards (room_stats.js),
// the agents table (room_agents.js), the inspector (room_inspector.js), the event log
// (room_log_view.js) and the world in words (room_summary.js).

import { el, page, roleBadge, setText } from "./common.js";

/** @import { RoomState } from "./room_state.js" */

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
