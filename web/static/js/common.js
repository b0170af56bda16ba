// Shared by every page: page data, the Socket.IO connection with its indicator, acks as
// promises, toasts and small DOM helpers. Plain ES module, no build step.

export const page = JSON.parse(document.getElementById("page-data")?.textContent || "{}");

export const CONTROL_ROLES = new Set(["owner", "controller", "admin"]);

/** Create an element: el("td", {className: "num", text: "3"}, child, ...). */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null) continue;
    if (key === "text") node.textContent = value;
    else if (key === "className") node.className = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key in node && typeof value !== "string") node[key] = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** Set textContent only when it changes (cheap to call every frame). */
export function setText(node, text) {
  const value = String(text);
  if (node && node.textContent !== value) node.textContent = value;
}

export function fmt(value, digits = 2) {
  if (value === null || value === undefined || Number.isNaN(value)) return "–";
  if (typeof value !== "number") return String(value);
  return Number.isInteger(value) && digits === 0 ? String(value) : value.toFixed(digits);
}

export function speedLabel(speed) {
  if (speed === "max") return "max";
  if (typeof speed !== "number") return "–";
  return `${speed.toFixed(1)}×`;
}

export function clock(ms) {
  const d = new Date(ms);
  return d.toTimeString().slice(0, 8);
}

export function toast(message, kind = "info", ms = 3500) {
  const box = document.getElementById("toasts");
  if (!box) return;
  const node = el("div", { className: `toast ${kind}`, text: message });
  box.append(node);
  while (box.children.length > 4) box.firstElementChild.remove();
  setTimeout(() => node.remove(), ms);
}

/**
 * Connect to namespace /sim with the session cookie. Socket.IO reconnects by itself with
 * back-off after a lost connection; a disconnect the server asked for (e.g. it restarted its
 * sockets) does not reconnect by itself in socket.io-client, so we do it, with back-off too.
 * `onConnect(socket, again)` runs on every (re)connection: that is where pages join and resync.
 */
export function connect({ onConnect, onDisconnect } = {}) {
  const indicator = document.getElementById("conn");
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
  let kickedRetry = null;
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
 */
export function request(socket, event, payload, timeout = 15000) {
  if (!socket.connected) {
    return Promise.resolve({ ok: false, error: { code: "offline", message: "Not connected to the server; retrying." } });
  }
  return new Promise((resolve) => {
    socket.timeout(timeout).emit(event, payload, (err, ack) => {
      if (err) resolve({ ok: false, error: { code: "timeout", message: `${event}: the server did not answer.` } });
      else if (!ack || typeof ack !== "object") resolve({ ok: false, error: { code: "internal", message: `${event}: odd answer.` } });
      else resolve(ack);
    });
  });
}

export function roleBadge(role) {
  return el("span", { className: `badge badge-${role}`, text: role });
}
