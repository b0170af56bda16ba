// Smoke test with the official JavaScript client: token login, join a room, receive updates.
// Usage: node smoke.mjs URL TOKEN ROOM   (the room must exist and be running)
// Prints one JSON line with what it saw; exits 0 when it joined and got >= 3 updates.
import { io } from "socket.io-client";

const [url, token, room] = process.argv.slice(2);
if (!url || !token || !room) {
  console.error("usage: node smoke.mjs URL TOKEN ROOM");
  process.exit(2);
}

const socket = io(url + "/sim", { auth: { token }, transports: ["websocket"], reconnection: false });
const seen = { connected: false, role: null, full: 0, deltas: 0, ticks: [], errors: [] };
const finish = (code) => {
  console.log(JSON.stringify(seen));
  socket.close();
  process.exit(code);
};
const timer = setTimeout(() => finish(1), 20000);

socket.on("connect_error", (err) => {
  seen.errors.push({ message: err.message, data: err.data ?? null });
  clearTimeout(timer);
  finish(1);
});
socket.on("connect", async () => {
  seen.connected = true;
  const ack = await socket.timeout(10000).emitWithAck("join_room", { room });
  if (!ack.ok) {
    seen.errors.push(ack.error);
    clearTimeout(timer);
    finish(1);
  }
  seen.role = ack.role;
  const bad = await socket.timeout(10000).emitWithAck("get_state", { room: 5 });
  seen.invalid = bad.ok === false ? bad.error.code : "accepted";
});
socket.on("state_update", (update) => {
  if (update.room !== room) return;
  if (update.full) seen.full += 1;
  else seen.deltas += 1;
  seen.ticks.push(update.tick);
  if (seen.full >= 1 && seen.deltas >= 3 && seen.invalid) {
    clearTimeout(timer);
    finish(0);
  }
});
