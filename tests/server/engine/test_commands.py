"""Commands that keep coming do not keep the engine's rooms from stepping."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from tests.support.engine import add_room, bare_engine


def test_rooms_step_between_commands_that_keep_coming(tmp_path: Path) -> None:
    engine = bare_engine(tmp_path, engine_warmup=False, gc_full_collection_seconds=0)
    engine.start()
    try:
        add_room(engine, "r", 2, "heuristic", 1)
        engine.call(engine.op_start, "r")
        ticks: list[int] = []

        def flood(left: int) -> None:
            """A command that takes 5 ms and queues the next: the queue is never empty."""
            ticks.append(engine.rooms["r"].tick)
            time.sleep(0.005)
            if left:
                engine.tell(flood, left - 1)

        engine.tell(flood, 300)  # 1.5 s of commands, one after another
        deadline = time.monotonic() + 60
        while len(ticks) < 301 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(ticks) == 301
        assert ticks[-1] > ticks[0], "the room stepped while the commands kept coming"
    finally:
        engine.stop()


def test_commands_answer_in_order(tmp_path: Path) -> None:
    engine = bare_engine(tmp_path, engine_warmup=False, gc_full_collection_seconds=0)
    engine.start()
    try:
        seen: list[Any] = []
        for k in range(50):
            engine.tell(seen.append, k)
        assert engine.call(len, seen) == 50 and seen == list(range(50))
    finally:
        engine.stop()


def test_get_state_takes_one_snapshot_a_tick_however_many_ask(tmp_path: Path) -> None:
    engine = bare_engine(tmp_path, engine_warmup=False, gc_full_collection_seconds=0)
    engine.start()
    try:
        add_room(engine, "r", 2, "heuristic", 1)
        first = engine.call(engine.op_snapshot, "r")
        assert engine.call(engine.op_snapshot, "r") is first, "the same tick: the same snapshot"
        engine.call(engine.op_step, "r")
        stepped = engine.call(engine.op_snapshot, "r")
        assert stepped is not first and stepped["tick"] == first["tick"] + 1
        engine.call(engine.op_reset, "r")
        reset = engine.call(engine.op_snapshot, "r")
        assert reset["episode"] == first["episode"] + 1
        engine.call(engine.op_set_speed, "r", 2.0)
        assert engine.call(engine.op_snapshot, "r")["speed"] == 2.0
        engine.call(engine.op_start, "r")
        assert engine.call(engine.op_snapshot, "r")["running"] is True
    finally:
        engine.stop()
