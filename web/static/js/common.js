// @ts-check
// Shared by every page: page data, the Socket.IO connection with its indicator, acks as
// promises, toasts and small DOM helpers. Plain ES module, no build step. The typedefs below
// are the wire's shapes the pages use (server/protocol.py holds them all).

/**
 * @typedef {"owner" | "controller" | "observer" | "admin"} Role
 * @typedef {number | "max"} Speed
 * @typedef {{ code: string, message: string }} ErrorBody
 * @typedef {{ ok: false, error: ErrorBody }} ErrorAck
 * @typedef {{ world?: Record<string, unknown>, learner?: Record<string, unknown> }} RoomConfig
 * @typedef {{ name: string, owner: string, agents: number, policy: string, public: boolean,
 *   running: boolean, tick: number, episode: number, speed: Speed, observers: number,
 *   config?: RoomConfig, config_changes?: Record<string, unknown>, seed?: number | null,
 *   worlds?: number, sweep?: string | null, sweep_point?: Record<string, unknown> | null }} RoomInfo
 *   (config, config_changes, seed, worlds, sweep and sweep_point: with configured rooms)
 * @typedef {{ name: string, owner: string, seeds: number[], grid: Record<string, unknown[]>,
 *   room: Record<string, unknown>, rooms: RoomInfo[] }} Sweep
 * @typedef {"resource" | "factory" | "charger"} Goal  the kind of cell an agent heads for
 * @typedef {{ id: number, x: number, y: number, energy: number, carrying: number, reward: number,
 *   action?: string, goal: Goal }} AgentState
 * @typedef {{ products_created: number, efficiency: number, total_reward: number }} Stats
 * @typedef {{ tick: number, agent: number, action: string }} LogEntry
 * @typedef {{ room: string, tick: number, episode: number, running: boolean, speed: Speed,
 *   width: number, height: number, grid: number[][], legend: Record<string, string>,
 *   agents: AgentState[], stats: Stats, log: LogEntry[] }} Snapshot
 * @typedef {{ name: string, role: Role }} PresenceUser
 * @typedef {{ room: string, tick: number, episode: number, agent: number, x: number | null,
 *   y: number | null, action: string | null, probabilities: Record<string, number> | null,
 *   value: number | null, view_radius: number }} AgentInspect
 * @typedef {{ episode: number, [figure: string]: unknown }} Figures  a `metrics` event's
 * @typedef {(Snapshot & { ts: number, full: true })
 *   | { room: string, tick: number, episode: number, ts: number, full: false, [key: string]: unknown }} StateUpdate
 * @typedef {{ room: string, tick: number, episode: number }} GameEvent  game_started, game_stopped
 * @typedef {GameEvent & { stats: Stats, reason: string }} GameEnded
 * @typedef {{ room: string, users: PresenceUser[] }} Presence
 * @typedef {{ room: string, message: string }} RoomError
 */
/**
 * What each request's ack holds besides `ok: true`.
 * @typedef {{
 *   list_rooms: { rooms: RoomInfo[] },
 *   create_room: { room: RoomInfo },
 *   create_sweep: { sweep: { name: string, rooms: RoomInfo[] } },
 *   delete_sweep: {},
 *   join_room: { role: Role, state: Snapshot },
 *   get_state: { state: Snapshot },
 *   metrics_history: { episodes: Figures[] },
 *   inspect_agent: { agent: number | null, inspect: AgentInspect | null },
 *   grant_control: {},
 *   start_game: { tick: number },
 *   stop_game: { tick: number },
 *   step_game: { tick: number },
 *   reset_game: { state: Snapshot },
 *   set_speed: { speed: Speed },
 *   delete_room: {},
 * }} Answers
 */
/**
 * @template T
 * @typedef {({ ok: true } & T) | ErrorAck} Ack
 */
/** @typedef {{ user?: string, admin?: boolean, serializer?: string, room?: string | null }} PageData */
/** @typedef {{ [prop: string]: unknown }} Props  el()'s: text, className, dataset, on*, or attributes */
/** @typedef {Node | string | number | null | undefined | false} Child */

/** @type {PageData} */
export const page = JSON.parse(document.getElementById("page-data")?.textContent || "{}");

/** @type {ReadonlySet<Role | null>} */
export const CONTROL_ROLES = new Set(["owner", "controller", "admin"]);

/**
 * Create an element: el("td", {className: "num", text: "3"}, child, ...).
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Props} [props]
 * @param {...Child} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null) continue;
    if (key === "text") node.textContent = String(value);
    else if (key === "className") node.className = String(value);
    else if (key === "dataset") Object.assign(node.dataset, value);
    // Through the CSSOM: the Content-Security-Policy refuses style attributes.
    else if (key === "style") node.style.cssText = String(value);
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), /** @type {EventListener} */ (value));
    else if (key in node && typeof value !== "string") /** @type {Record<string, unknown>} */ (/** @type {unknown} */ (node))[key] = value;
    else node.setAttribute(key, String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/**
 * The element with this id, which the page's template has (so not null); a cast gives its kind.
 * @param {string} id
 * @returns {HTMLElement}
 */
export function byId(id) {
  return /** @type {HTMLElement} */ (document.getElementById(id));
}

/**
 * Set textContent only when it changes (cheap to call every frame).
 * @param {Node | null} node
 * @param {string | number} text
 */
export function setText(node, text) {
  const value = String(text);
  if (node && node.textContent !== value) node.textContent = value;
}

/** A figure with `digits` decimals, "–" when there is none. @param {unknown} value */
export function fmt(value, digits = 2) {
  if (value === null || value === undefined || Number.isNaN(value)) return "–";
  if (typeof value !== "number") return String(value);
  return Number.isInteger(value) && digits === 0 ? String(value) : value.toFixed(digits);
}

/** @param {unknown} speed a room's speed: a number or "max" */
export function speedLabel(speed) {
  if (speed === "max") return "max";
  if (typeof speed !== "number") return "–";
  return `${speed.toFixed(1)}×`;
}

/** hh:mm:ss of epoch milliseconds. @param {number} ms */
export function clock(ms) {
  const d = new Date(ms);
  return d.toTimeString().slice(0, 8);
}

/** @param {string} message @param {"info" | "error"} [kind] @param {number} [ms] */
export function toast(message, kind = "info", ms = 3500) {
  const box = document.getElementById("toasts");
  if (!box) return;
  const node = el("div", { className: `toast ${kind}`, text: message });
  box.append(node);
  while (box.children.length > 4) box.firstElementChild?.remove();
  setTimeout(() => node.remove(), ms);
}

/**
 * Connect to namespace /sim with the session cookie. Socket.IO reconnects by itself with
 * back-off after a lost connection; a disconnect the server asked for (e.g. it restarted its
 * sockets) does not reconnect by itself in socket.io-client, so we do it, with back-off too.
 * `onConnect(socket, again)` runs on every (re)connection: that is where pages join and resync.
 * @param {{ onConnect?: (socket: Socket, again: boolean) => void, onDisconnect?: (reason: string) => void }} [handlers]
 * @returns {Socket}
 */
export function connect({ onConnect, onDisconnect } = {}) {
  const indicator = document.getElementById("conn");
  /** @param {string} state @param {string} [text] */
  const setState = (state, text) => {
    if (!indicator) return;
    indicator.dataset.state = state;
    setText(indicator, text || state);
  };
  if (typeof window.io !== "function") {
    setState("disconnected", "disconnected (no client)");
    throw new Error("socket.io client missing");
  }
  const socket = window.io("/sim", {
    transports: ["websocket", "polling"],
    tryAllTransports: true,
    reconnection: true,
    reconnectionDelay: 500,
    reconnectionDelayMax: 5000,
    randomizationFactor: 0.3,
    timeout: 8000,
  });
  let connectedOnce = false;
  /** @type {number | undefined} */
  let kickedRetry;
  let kickedDelay = 500;

  socket.on("connect", () => {
    setState("connected");
    kickedDelay = 500;
    const again = connectedOnce;
    connectedOnce = true;
    if (onConnect) onConnect(socket, again);
  });
  socket.on("disconnect", (reason) => {
    setState("disconnected", "disconnected · reconnecting");
    if (onDisconnect) onDisconnect(reason);
    if (reason === "io server disconnect" || reason === "io client disconnect") {
      if (reason === "io client disconnect") return;
      clearTimeout(kickedRetry);
      kickedRetry = setTimeout(() => socket.connect(), kickedDelay);
      kickedDelay = Math.min(kickedDelay * 2, 5000);
    }
  });
  socket.on("connect_error", (error) => {
    if (error && error.message === "unauthorized") {
      setState("signed-out", "signed out");
      showSignedOut();
      return;
    }
    setState("disconnected", connectedOnce ? "disconnected · reconnecting" : "disconnected · connecting");
    if (!socket.active) {  // not retrying by itself: retry with back-off
      clearTimeout(kickedRetry);
      kickedRetry = setTimeout(() => socket.connect(), kickedDelay);
      kickedDelay = Math.min(kickedDelay * 2, 5000);
    }
  });
  socket.io.on("reconnect_attempt", (attempt) => {
    setState("disconnected", `disconnected · retry ${attempt}`);
  });
  return socket;
}

function showSignedOut() {
  if (document.getElementById("signed-out-banner")) return;
  const main = document.getElementById("main");
  const here = encodeURIComponent(location.pathname);
  main?.prepend(
    el("div", { id: "signed-out-banner", className: "banner error", role: "alert" },
      "You are signed out. ", el("a", { href: `/login?next=${here}`, text: "Sign in again" }), "."),
  );
}

/**
 * Send a client event and resolve with its ack ({ok, ...}). Never rejects: a missing
 * connection or a lost answer resolves as an error ack with code "offline" or "timeout".
 * @template {keyof Answers} E
 * @param {Socket} socket
 * @param {E} event
 * @param {object} payload
 * @param {number} [timeout]
 * @returns {Promise<Ack<Answers[E]>>}
 */
export function request(socket, event, payload, timeout = 15000) {
  if (!socket.connected) {
    return Promise.resolve({ ok: false, error: { code: "offline", message: "Not connected to the server; retrying." } });
  }
  return new Promise((resolve) => {
    socket.timeout(timeout).emit(event, payload, (/** @type {Error | null} */ err, /** @type {unknown} */ ack) => {
      if (err) resolve({ ok: false, error: { code: "timeout", message: `${event}: the server did not answer.` } });
      else if (!ack || typeof ack !== "object") resolve({ ok: false, error: { code: "internal", message: `${event}: odd answer.` } });
      else resolve(/** @type {Ack<Answers[E]>} */ (ack));
    });
  });
}

/**
 * GET a JSON document of this server with the session's cookie: its body, or null when the
 * answer is not 200 or not JSON (`status` says which, for pages that tell 404 apart).
 * @param {string} path
 * @param {{ status?: number }} [out] gets the answer's status (0: no answer)
 * @returns {Promise<unknown>}
 */
export async function getJson(path, out = {}) {
  out.status = 0;
  try {
    const answer = await fetch(path, { credentials: "same-origin", headers: { Accept: "application/json" }, cache: "no-store" });
    out.status = answer.status;
    if (!answer.ok) return null;
    return await answer.json();
  } catch (error) {
    console.warn(`${path} did not load.`, error);
    return null;
  }
}

/** @param {Role} role */
export function roleBadge(role) {
  return el("span", { className: `badge badge-${role}`, text: role });
}
