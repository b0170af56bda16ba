"""The engine thread and what feeds it: the one OS thread that owns every room's world and policy.

- ``engine``: the Engine, its loop, its schedule and its commands (``op_*``).
- ``room``: a room as the engine holds it.
- ``updates``: events encoded once, and the state_update between two states.
- ``handoff``: the Bridge and Future that carry work between the event loop and the engine.
- ``collector``: Python's full garbage collections, run on the engine's schedule.
- ``faults``: a test hook that makes chosen rooms fail.
"""
