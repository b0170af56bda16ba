"""Prometheus figures of one server, in a registry of its own (one per app)."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from server.engine.collector import PAUSE_BUCKETS, Pauses
from server.engine.updates import EngineFigures

_FAST = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
_LAG = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0)

CONTENT_TYPE = CONTENT_TYPE_LATEST
LAG_PROBE_INTERVAL = 0.1
"""Seconds between two event-loop lag probes."""


class Metrics:
    """Every figure the server exports at ``GET /metrics``.

    Figures from the engine thread are handed to the event loop with its results and recorded
    there (see server.engine), so every update here happens on the loop's threads.
    """

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.connections = Gauge("simrooms_connections", "Socket.IO connections to /sim.", registry=r)
        self.rooms = Gauge("simrooms_rooms", "Rooms held, by state.", ["state"], registry=r)
        self.ticks = Counter("simrooms_ticks", "Ticks stepped over all rooms.", registry=r)
        self.agent_steps = Counter(
            "simrooms_agent_steps", "Agent-steps over all rooms and every world they train in.", registry=r
        )
        self.events = Counter(
            "simrooms_events",
            "Client events handled, by name and outcome (ok or an error code).",
            ["event", "outcome"],
            registry=r,
        )
        self.tick_duration = Histogram(
            "simrooms_tick_duration_seconds",
            "Time the engine spent stepping the rooms due in one cycle.",
            buckets=_FAST,
            registry=r,
        )
        self.cycle_rooms = Histogram(
            "simrooms_cycle_rooms",
            "Rooms stepped in one engine cycle.",
            buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500, 1000),
            registry=r,
        )
        self.loop_lag = Histogram(
            "simrooms_event_loop_lag_seconds",
            f"How late a timer of the event loop fired (probed every {LAG_PROBE_INTERVAL} s).",
            buckets=_LAG,
            registry=r,
        )
        self.updates = Counter(
            "simrooms_state_updates", "state_update events encoded (once per room).", registry=r
        )
        self.update_bytes = Counter(
            "simrooms_state_update_bytes", "Bytes of encoded state_update events (once per room).", registry=r
        )
        self.deliveries = Counter(
            "simrooms_messages_delivered", "Server events handed to connections (one per member).", registry=r
        )
        self.direct_frames = Gauge(
            "simrooms_messages_direct",
            "Messages of those written as one prebuilt WebSocket frame straight to the socket.",
            registry=r,
        )
        self.room_errors = Counter(
            "simrooms_room_errors", "Rooms stopped because their step raised.", registry=r
        )
        self.backlog_dropped = Gauge(
            "simrooms_connections_closed_backlog",
            "Connections closed because more waited to be sent to them than the bounds allow.",
            registry=r,
        )
        self.sessions_refused = Gauge(
            "simrooms_sessions_refused",
            "Engine.IO handshakes refused because their address opened sessions too often.",
            registry=r,
        )
        self.oversized_refused = Gauge(
            "simrooms_requests_refused_oversized",
            "Long-polling POSTs refused (413) for a body over the message size limit.",
            registry=r,
        )
        self.malformed_closed = Gauge(
            "simrooms_connections_closed_malformed",
            "Connections closed because they sent a packet the protocol cannot decode.",
            registry=r,
        )

        self.checkpoints_written = Gauge(
            "simrooms_checkpoints_written", "Room checkpoints written since start.", registry=r
        )
        self.checkpoint_bytes = Gauge(
            "simrooms_checkpoint_bytes_written", "Bytes of room checkpoints written since start.", registry=r
        )
        self.checkpoints_failed = Gauge(
            "simrooms_checkpoints_failed",
            "Room checkpoints whose write failed (the room's last good checkpoint stays); see the log.",
            registry=r,
        )
        self.archive_backlog = Gauge(
            "simrooms_archive_backlog", "Writes and seeks waiting for the archive thread.", registry=r
        )
        self.tracking_logged = Gauge(
            "simrooms_tracking_logged",
            "Finished episodes handed to the tracking stores (TensorBoard, MLflow) since start.",
            registry=r,
        )
        self.tracking_dropped = Gauge(
            "simrooms_tracking_dropped",
            "Finished episodes not tracked because the tracking queue was full (a slow store).",
            registry=r,
        )
        self.tracking_errors = Gauge(
            "simrooms_tracking_errors",
            "Failures of the tracking stores (the first of each store is in the log).",
            registry=r,
        )

    def engine_figures(self, figures: EngineFigures) -> None:
        """Record the figures the engine handed over (on the event loop)."""
        self.ticks.inc(figures.ticks)
        self.agent_steps.inc(figures.agent_steps)
        for duration in figures.durations:
            self.tick_duration.observe(duration)
        for count in figures.cycle_rooms:
            self.cycle_rooms.observe(count)
        self.updates.inc(figures.updates)
        self.update_bytes.inc(figures.update_bytes)

    def watch_gc(self, pauses: Pauses) -> None:
        """Export the garbage collector's pauses as `pauses` records them."""
        self.registry.register(_GcFigures(pauses))

    def render(self) -> bytes:
        return generate_latest(self.registry)


class _GcFigures:
    """``simrooms_gc_pause_seconds`` (a histogram by generation) and the longest pause of each
    generation, read from a Pauses when /metrics is asked."""

    def __init__(self, pauses: Pauses) -> None:
        self.pauses = pauses

    def describe(self) -> list[Metric]:
        return []

    def collect(self) -> Iterator[Metric]:
        p = self.pauses
        histogram = HistogramMetricFamily(
            "simrooms_gc_pause_seconds",
            "Pauses of Python's garbage collections (every thread stops), by generation (2: full).",
            labels=["generation"],
        )
        longest = GaugeMetricFamily(
            "simrooms_gc_pause_longest_seconds",
            "The longest garbage collection pause since the engine started, by generation.",
            labels=["generation"],
        )
        for generation in range(3):
            counts = list(p.buckets[generation])
            cumulative, buckets = 0, []
            for bound, count in zip((*PAUSE_BUCKETS, float("inf")), counts, strict=True):
                cumulative += count
                buckets.append(("+Inf" if bound == float("inf") else repr(bound), cumulative))
            histogram.add_metric([str(generation)], buckets, p.seconds[generation])
            longest.add_metric([str(generation)], p.longest[generation])
        yield histogram
        yield longest
