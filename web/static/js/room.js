// The room view: joins the room over Socket.IO, keeps the latest state (full snapshots and
// deltas applied as they arrive) and renders it on requestAnimationFrame from the latest state
// only, so a fast room never queues frames. Reconnects rejoin and resync from a full snapshot.

import { Board, agentColor, legendEntries } from "./board.js";
import { Charts } from "./charts.js";
import { CONTROL_ROLES, clock, connect, el, fmt, page, request, roleBadge, setText, speedLabel, toast } from "./common.js";
import { applyDelta } from "./delta.js";

const LOG_MAX = 120;
const $ = (id) => document.getElementById(id);
const roomKey = String(page.room || "").toLowerCase();

const ui = {
  title: $("room-title"), runState: $("run-state"), role: $("my-role"), banner: $("room-banner"),
  start: $("btn-start"), stop: $("btn-stop"), step: $("btn-step"), reset: $("btn-reset"),
  speed: $("speed"), speedOut: $("speed-out"), turbo: $("turbo"), note: $("control-note"),
  tick: $("stat-tick"), episode: $("stat-episode"), products: $("stat-products"),
  efficiency: $("stat-efficiency"), reward: $("stat-reward"),
  agents: $("agents-body"), log: $("log"), presence: $("presence"), presenceCount: $("presence-count"),
  legend: $("legend"), inspector: $("inspector-body"), inspectBadge: $("inspect-badge"),
};

const view = {
  state: null,        // the latest Snapshot
  stateTs: 0,         // server time of the update that gave it
  role: null,
  owner: null,
  joined: false,
  joinSeq: 0,
  fullSinceJoin: false,
  deleted: false,
  presence: [],
  selected: null,     // inspected agent id
  inspect: null,      // latest agent_inspect payload
  dirty: { board: true, dom: true, inspect: true, presence: true },
  frame: 0,
  busy: false,
  draggingSpeed: false,
  newLog: [],         // log entries to prepend, oldest first, with ts
  resetLog: true,
};

const board = new Board($("board"), $("board-overlay"), $("board-wrap"));
board.onResize = () => schedule();
const charts = new Charts();
window.simrooms = { view, board, charts }; // for tests and the curious

// ------------------------------------------------------------------ the connection

const socket = connect({
  onConnect: () => join(),
  onDisconnect: () => {
    view.joined = false;
    view.dirty.dom = true;
    schedule();
  },
});

async function join() {
  const seq = ++view.joinSeq;
  view.fullSinceJoin = false;
  const ack = await request(socket, "join_room", { room: page.room });
  if (seq !== view.joinSeq) return;
  if (!ack.ok) {
    showBanner(ack.error.code === "not_found" ? `There is no room named “${page.room}” (or it is private).` : ack.error.message);
    view.joined = false;
    view.dirty.dom = true;
    schedule();
    return;
  }
  hideBanner();
  view.joined = true;
  view.deleted = false;
  setRole(ack.role);
  // The full state_update event comes before this ack; deltas may follow it before the ack.
  // Take the ack's snapshot only when nothing newer is here.
  if (!view.fullSinceJoin || !view.state || ack.state.tick > view.state.tick) {
    replaceState(ack.state, Date.now());
  }
  if (view.selected !== null) inspect(view.selected);
  const history = await request(socket, "metrics_history", { room: page.room });
  if (history.ok && Array.isArray(history.episodes)) charts.setHistory(history.episodes);
  else charts.setHistory([]);
}

socket.on("state_update", (update) => {
  if (!update || String(update.room).toLowerCase() !== roomKey) return;
  if (update.full) {
    const { ts, full, ...snapshot } = update;
    view.fullSinceJoin = true;
    replaceState(snapshot, ts);
    return;
  }
  if (!view.state) return; // a full one comes first
  try {
    const { ts, full, ...delta } = update;
    const added = applyDelta(view.state, delta);
    view.stateTs = update.ts;
    for (const entry of added) view.newLog.push({ ...entry, ts: update.ts });
    if (view.newLog.length > LOG_MAX) view.newLog.splice(0, view.newLog.length - LOG_MAX);
  } catch (error) {
    console.warn("A delta did not apply; resyncing.", error);
    join();
    return;
  }
  markAll();
});

socket.on("presence", (message) => {
  if (String(message.room).toLowerCase() !== roomKey) return;
  view.presence = message.users || [];
  const mine = view.presence.find((u) => u.name === page.user);
  if (mine) setRole(mine.role);
  const owner = view.presence.find((u) => u.role === "owner");
  if (owner) view.owner = owner.name;
  view.dirty.presence = true;
  schedule();
});

socket.on("game_started", (m) => sameRoom(m) && setRunning(true, m.tick));
socket.on("game_stopped", (m) => sameRoom(m) && setRunning(false, m.tick));
socket.on("game_ended", (m) => {
  if (!sameRoom(m)) return;
  const why = { terminated: "all out of energy", truncated: "tick limit", reset: "reset" }[m.reason] || m.reason;
  setText($("episode-note"), `· episode ${m.episode} ended at tick ${m.tick} (${why}), ${m.stats?.products_created ?? 0} products`);
});
socket.on("metrics", (m) => sameRoom(m) && charts.add(m));
socket.on("room_error", (m) => {
  if (!sameRoom(m)) return;
  showBanner(m.message);
  toast("The room stopped after an error.", "error");
});
socket.on("room_deleted", (m) => {
  if (!sameRoom(m)) return;
  view.deleted = true;
  view.joined = false;
  showBanner("This room was deleted. Go back to the lobby to pick another one.");
  markAll();
});
socket.on("room_list", (m) => {
  const info = (m.rooms || []).find((r) => r.name.toLowerCase() === roomKey);
  if (info) view.owner = info.owner;
});
socket.on("agent_inspect", (m) => {
  if (!sameRoom(m) || m.agent !== view.selected) return;
  view.inspect = m;
  board.setViewRadius(m.view_radius);
  view.dirty.inspect = true;
  schedule();
});

function sameRoom(m) {
  return m && String(m.room).toLowerCase() === roomKey;
}

function replaceState(snapshot, ts) {
  view.state = structuredClone(snapshot);
  view.stateTs = ts || Date.now();
  view.resetLog = true;
  view.newLog = [];
  if (view.selected !== null && !view.state.agents.some((a) => a.id === view.selected)) selectAgent(null);
  markAll();
}

function setRunning(running, tick) {
  if (view.state && tick >= view.state.tick) {
    view.state.running = running;
    markAll();
  }
}

function markAll() {
  view.dirty.board = true;
  view.dirty.dom = true;
  if (view.selected !== null) view.dirty.inspect = true;
  schedule();
}

// ------------------------------------------------------------------ rendering

function schedule() {
  if (!view.frame) view.frame = requestAnimationFrame(render);
}

function render() {
  view.frame = 0;
  const s = view.state;
  if (view.dirty.board && s) {
    view.dirty.board = false;
    board.draw(s);
    renderLegend(s.legend);
  }
  if (view.dirty.dom) {
    view.dirty.dom = false;
    renderHead(s);
    renderControls(s);
    if (s) {
      renderStats(s);
      renderAgents(s);
      renderLog(s);
    }
  }
  if (view.dirty.presence) {
    view.dirty.presence = false;
    renderPresence();
  }
  if (view.dirty.inspect) {
    view.dirty.inspect = false;
    renderInspector();
  }
}

function renderHead(s) {
  if (s) setText(ui.title, s.room);
  const running = !!s?.running;
  setText(ui.runState, s ? (running ? "running" : "stopped") : "…");
  ui.runState.className = `badge ${running ? "badge-running" : "badge-stopped"}`;
  if (view.role) {
    setText(ui.role, view.role);
    ui.role.className = `badge badge-${view.role}`;
  }
  document.title = `${s ? s.room : page.room} · tick ${s ? s.tick : "–"} · simrooms`;
}

let legendKey = "";
function renderLegend(legend) {
  const key = JSON.stringify(legend || {});
  if (key === legendKey) return;
  legendKey = key;
  ui.legend.replaceChildren(
    ...legendEntries(legend).filter((e) => e.name !== "empty").map((e) =>
      el("span", {}, el("i", { style: `background:${e.color}` }), e.name)),
    el("span", {}, el("i", { style: `background:${agentColor(0)};border-radius:50%` }), "agent (bar: energy, squares: carrying)"),
  );
}

function canControl() {
  return view.joined && !view.deleted && CONTROL_ROLES.has(view.role) && socket.connected;
}

function renderControls(s) {
  const allowed = canControl();
  const running = !!s?.running;
  ui.start.disabled = !allowed || running || view.busy;
  ui.stop.disabled = !allowed || !running || view.busy;
  ui.step.disabled = !allowed || running || view.busy;
  ui.reset.disabled = !allowed || view.busy;
  ui.turbo.disabled = !allowed;
  const speed = s?.speed;
  if (!view.draggingSpeed) {
    ui.turbo.checked = speed === "max";
    if (typeof speed === "number") ui.speed.value = String(speed);
  }
  ui.speed.disabled = !allowed || ui.turbo.checked;
  const shown = ui.turbo.checked ? "max" : view.draggingSpeed ? Number(ui.speed.value) : speed ?? Number(ui.speed.value);
  setText(ui.speedOut, speedLabel(shown));
  let note = "";
  if (!socket.connected) note = "Disconnected: controls come back when the connection does.";
  else if (view.deleted) note = "This room was deleted.";
  else if (view.joined && !CONTROL_ROLES.has(view.role)) {
    const owner = view.owner ? ` (${view.owner})` : "";
    note = `You are an observer: only the room's owner${owner}, users it granted control and admins can start, stop, step, reset or change the speed. Ask the owner to grant you control.`;
  }
  setText(ui.note, note);
  ui.note.hidden = !note;
}

function renderStats(s) {
  setText(ui.tick, s.tick);
  setText(ui.episode, s.episode);
  setText(ui.products, s.stats?.products_created ?? "–");
  setText(ui.efficiency, fmt(s.stats?.efficiency, 2));
  setText(ui.reward, fmt(s.stats?.total_reward, 2));
}

const agentRows = new Map();
function renderAgents(s) {
  const seen = new Set();
  for (const agent of s.agents) {
    seen.add(agent.id);
    let row = agentRows.get(agent.id);
    if (!row) {
      row = {
        tr: el("tr", { dataset: { agent: agent.id }, tabIndex: 0, title: "Inspect this agent" }),
        pos: el("td", { className: "mono" }),
        bar: el("b"),
        energyText: el("span"),
        carrying: el("td", { className: "num" }),
        reward: el("td", { className: "num" }),
        action: el("td", { className: "mono" }),
      };
      row.energy = el("span", { className: "energy" }, row.bar);
      row.tr.append(
        el("td", {}, el("span", { className: "swatch", style: `background:${agentColor(agent.id)}` }), `Agent ${agent.id}`),
        row.pos, el("td", {}, row.energy, row.energyText), row.carrying, row.reward, row.action,
      );
      row.tr.addEventListener("click", () => selectAgent(view.selected === agent.id ? null : agent.id));
      row.tr.addEventListener("keydown", (e) => {
        if (e.key === "Enter") selectAgent(view.selected === agent.id ? null : agent.id);
      });
      agentRows.set(agent.id, row);
      insertRow(row.tr, agent.id);
    }
    setText(row.pos, `${agent.x}, ${agent.y}`);
    const e = Math.max(0, Math.min(100, agent.energy));
    row.bar.style.width = `${e}%`;
    row.energy.className = `energy ${e <= 20 ? "low" : e <= 50 ? "mid" : ""}`;
    setText(row.energyText, agent.energy);
    setText(row.carrying, agent.carrying);
    setText(row.reward, fmt(agent.reward, 2));
    setText(row.action, agent.action ?? "–");
    row.tr.classList.toggle("selected", view.selected === agent.id);
  }
  for (const [id, row] of agentRows) {
    if (!seen.has(id)) {
      row.tr.remove();
      agentRows.delete(id);
    }
  }
}

function insertRow(tr, id) {
  const after = [...ui.agents.children].find((r) => Number(r.dataset.agent) > id);
  ui.agents.insertBefore(tr, after || null);
}

function logItem(entry) {
  return el("li", {},
    el("span", { className: "t", text: clock(entry.ts) }),
    el("span", { text: `t ${entry.tick}` }),
    el("span", {}, el("span", { className: "swatch", style: `background:${agentColor(entry.agent)}` }), `#${entry.agent}`),
    el("span", { text: entry.action }),
  );
}

function renderLog(s) {
  if (view.resetLog) {
    view.resetLog = false;
    const entries = s.log.slice(-LOG_MAX).map((e) => ({ ...e, ts: view.stateTs }));
    ui.log.replaceChildren(...entries.reverse().map(logItem));
    view.newLog = [];
    return;
  }
  if (!view.newLog.length) return;
  const fragment = document.createDocumentFragment();
  for (let i = view.newLog.length - 1; i >= 0; i--) fragment.append(logItem(view.newLog[i]));
  view.newLog = [];
  ui.log.prepend(fragment);
  while (ui.log.children.length > LOG_MAX) ui.log.lastElementChild.remove();
}

function renderPresence() {
  const users = view.presence;
  setText(ui.presenceCount, users.length);
  const manage = view.role === "owner" || view.role === "admin";
  ui.presence.replaceChildren(
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
  if (!users.length) ui.presence.append(el("li", { className: "muted", text: "Nobody yet." }));
  view.dirty.dom = true;
  schedule();
}

function renderInspector() {
  const id = view.selected;
  ui.inspectBadge.hidden = id === null;
  if (id === null) {
    ui.inspector.replaceChildren(el("p", { className: "inspector-empty",
      text: "Click an agent on the grid or in the table to see its field of view, action probabilities and value estimate." }));
    return;
  }
  setText(ui.inspectBadge, `agent ${id}`);
  ui.inspectBadge.style.background = agentColor(id);
  ui.inspectBadge.style.color = "#fff";
  const m = view.inspect;
  const agent = view.state?.agents.find((a) => a.id === id);
  const rows = [
    ["Position", agent ? `${agent.x}, ${agent.y}` : "–"],
    ["Energy", agent ? agent.energy : "–"],
    ["Value estimate", m && m.value !== null ? fmt(m.value, 3) : "–"],
    ["Field of view", m ? `${2 * m.view_radius + 1} × ${2 * m.view_radius + 1}` : "–"],
    ["At tick", m ? m.tick : "–"],
  ];
  const kv = el("dl", { className: "kv" }, ...rows.flatMap(([k, v]) => [el("dt", { text: k }), el("dd", { text: String(v) })]));
  let probs;
  if (!m) probs = el("p", { className: "inspector-empty", text: "Waiting for the agent's figures…" });
  else if (!m.probabilities) probs = el("p", { className: "inspector-empty", text: "This room's policy gives no action probabilities." });
  else {
    probs = el("div", { className: "probs", id: "probs" },
      ...Object.entries(m.probabilities).map(([name, p]) =>
        el("div", { className: `prob ${name === m.action ? "chosen" : ""}`, dataset: { action: name } },
          el("span", { className: "name", text: name }),
          el("span", { className: "bar" }, el("b", { style: `width:${(100 * p).toFixed(1)}%` })),
          el("span", { className: "p", text: p.toFixed(2) }))));
  }
  ui.inspector.replaceChildren(kv, probs,
    el("p", { className: "muted small", text: "Highlighted: the action it took. Esc or a second click stops inspecting." }));
}

function showBanner(text) {
  ui.banner.textContent = text;
  ui.banner.hidden = false;
}

function hideBanner() {
  ui.banner.hidden = true;
}

// ------------------------------------------------------------------ actions

function setRole(role) {
  if (view.role !== role) {
    view.role = role;
    view.dirty.dom = true;
    view.dirty.presence = true;
    schedule();
  }
}

async function control(event, extra = {}) {
  if (!canControl()) return;
  view.busy = true;
  view.dirty.dom = true;
  schedule();
  const ack = await request(socket, event, { room: page.room, ...extra });
  view.busy = false;
  view.dirty.dom = true;
  schedule();
  if (!ack.ok) toast(ack.error.message, "error");
  return ack;
}

async function grant(user, allow) {
  const ack = await request(socket, "grant_control", { room: page.room, user, allow });
  if (ack.ok) toast(allow ? `${user} may now control the room.` : `${user} no longer controls the room.`);
  else toast(ack.error.message, "error");
}

async function inspect(agent) {
  const ack = await request(socket, "inspect_agent", { room: page.room, agent });
  if (!ack.ok) {
    if (agent !== null) toast(ack.error.message, "error");
    return;
  }
  if (agent !== null && agent === view.selected && ack.inspect) {
    view.inspect = ack.inspect;
    board.setViewRadius(ack.inspect.view_radius);
    view.dirty.inspect = true;
    schedule();
  }
}

function selectAgent(id) {
  if (view.selected === id) return;
  view.selected = id;
  view.inspect = null;
  board.select(id);
  view.dirty.inspect = true;
  markAll();
  if (view.joined) inspect(id);
}

for (const button of [ui.start, ui.stop, ui.step, ui.reset]) {
  button.addEventListener("click", () => control(button.dataset.action));
}

ui.speed.addEventListener("input", () => {
  view.draggingSpeed = true;
  setText(ui.speedOut, speedLabel(Number(ui.speed.value)));
});
ui.speed.addEventListener("change", async () => {
  const speed = Math.round(Number(ui.speed.value) * 10) / 10;
  const ack = await control("set_speed", { speed });
  view.draggingSpeed = false;
  if (ack?.ok && view.state) view.state.speed = ack.speed;
  markAll();
});
ui.turbo.addEventListener("change", async () => {
  const speed = ui.turbo.checked ? "max" : Math.round(Number(ui.speed.value) * 10) / 10;
  view.draggingSpeed = true; // keep the user's choice on screen until the server answers
  const ack = await control("set_speed", { speed });
  view.draggingSpeed = false;
  if (ack?.ok && view.state) view.state.speed = ack.speed;
  markAll();
});

$("board-overlay").addEventListener("click", (event) => {
  const cell = board.cellAt(event.clientX, event.clientY);
  if (!cell || !view.state) return;
  const agent = view.state.agents.find((a) => a.x === cell.x && a.y === cell.y);
  selectAgent(agent ? (agent.id === view.selected ? null : agent.id) : null);
});

document.addEventListener("keydown", (event) => {
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  const target = event.target;
  if (target instanceof HTMLElement) {
    const tag = target.tagName;
    if (target.isContentEditable || tag === "SELECT" || tag === "TEXTAREA") return;
    if (tag === "INPUT" && target.type !== "range") return; // typing, or space on a checkbox
    // Space and Enter press a focused button, except the controls' own: there space is start/stop.
    if (tag === "BUTTON" && (event.key === "Enter" || (event.key === " " && !target.closest(".controls")))) return;
  }
  if (event.key === " ") {
    event.preventDefault();
    if (!canControl() || view.busy) return;
    control(view.state?.running ? "stop_game" : "start_game");
  } else if (event.key === "s" || event.key === "S") {
    if (!canControl() || view.busy || view.state?.running) return;
    event.preventDefault();
    control("step_game");
  } else if (event.key === "Escape") {
    selectAgent(null);
  }
});

schedule();
