"""Storage called from the event loop's green threads and from a real OS thread at once, under
eventlet's monkey patching (the server's default), on SQLite and PostgreSQL."""

from __future__ import annotations

import subprocess
import sys

from tests.support.server import REPO

SCRIPT = """
import sys
import eventlet
eventlet.monkey_patch()
import eventlet.patcher
from server.storage.database import Storage
from server.storage.records import ControlRecord

storage = Storage(sys.argv[1])
storage.upgrade()
owner = storage.create_user("writer", "h")
room = storage.create_room("busy", owner.id, 4, "learning", "1", {}, True, 1.0)
real_threading = eventlet.patcher.original("threading")
WRITES, READERS, READS = 150, 20, 25

def writer():
    for seq in range(1, WRITES + 1):
        storage.add_controls(room.id, [ControlRecord(seq, seq, "step", None, owner.id)])
        storage.update_room(room.id, running=bool(seq % 2))
    storage.dispose_thread()

def reader():
    for _ in range(READS):
        assert storage.room_by_key("busy") is not None
        storage.controls(room.id)
        eventlet.sleep(0)

thread = real_threading.Thread(target=writer)
thread.start()
pool = eventlet.GreenPool()
for _ in range(READERS):
    pool.spawn(reader)
pool.waitall()
while thread.is_alive():
    eventlet.sleep(0.01)
assert len(storage.controls(room.id)) == WRITES
storage.dispose()
print("done")
"""


def test_green_threads_and_a_real_thread_share_a_storage(db_url: str) -> None:
    """Runs in ~3 s. With one engine for both threads it took 30 s and more: a green thread waiting
    on the pool's (green) lock is not woken by the real thread's release and waits out the pool's
    30 s timeout (server.storage.connection gives each OS thread its own engine)."""
    done = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", SCRIPT, db_url],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=25,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip() == "done"
