"""Soak benchmark: the hardened server (docs/security.md) under churn, slow readers and a fuzzer,
while one honest room runs, against a real `simrooms serve` on this machine (loopback only).

One server (eventlet, OpenBLAS via the CLI, default limits) with the admin `bench` and a plain
user `soak`. At once, until the cycles are done or --max-seconds pass:

1. churn: --cycles connect (websocket, token) / join_room / leave_room / disconnect cycles of
   the honest room from --churn-workers processes of --churn-threads threads; each cycle's
   outcome is counted (ok, an error code, refused connects, timeouts, closes);
2. --slow-readers members of the honest room with a 4 KiB receive buffer that send get_state
   --slow-rate times a second and never read: how many the server closed, and when;
3. a fuzzer (bench/soak_client.py): malformed frames (broken JSON, huge ints, unknown packet
   types, binary packets without attachments, oversized messages, lifecycle event names) and
   known events with bad payloads, each followed by a list_rooms probe; each case's fate is
   counted (acked ok, acked with a code, closed by the server, no ack but the connection lives,
   no answer at all);
4. one honest room (--policy, speed 1.0) with one honest observer recording the server `ts` of
   every state_update: its tick rate and worst gap between updates.

It prints the server's RSS (before, peak from /proc every second, after --settle s), the honest
room's figures, churn rate and outcomes, slow readers closed, the fuzzer's fates, /metrics
counters and the server log's lines by level.

    .venv/bin/python bench/soak.py                     # 10,000 cycles, 20 slow readers
    .venv/bin/python bench/soak.py --quick             # ~1,000 cycles
    .venv/bin/python bench/soak.py --json bench/out/soak.json
    .venv/bin/python bench/soak.py --rounds 3 --settle 50   # does what it keeps grow round after round?
    .venv/bin/python bench/soak.py --cycles 0 --min-seconds 120  # slow readers and fuzzer alone

Each round's load lasts until its cycles are done and --min-seconds have passed (the slow readers
reach the 1,000-message bound after 50-100 s here), then --settle s of quiet. "Connections after"
counts the benchmark's own two (its control client and the honest observer) until the last round
ends; any more are sessions the server still holds.

Run it from the repository root with OPENBLAS_NUM_THREADS=1, as the other benchmarks.

This file is a little over the project's 500-line guide: its four loads, their measurements and
the one report they make read best together (the clients themselves are in soak_client.py). A
loopback-only server applies no connection limits (Settings.limit_connections): pass
`--env SIMROOMS_LIMIT_CONNECTIONS=1` to soak it as one listening beyond loopback.
"""

from __future__ import annotations

import argparse
import collections
import itertools
import json
import multiprocessing
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import requests
import socketio

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.server_process import BenchServer  # noqa: E402
from bench.soak_client import (  # noqa: E402
    FATE_CLOSED,
    FATE_CLOSED_OR_LIVES,
    FATE_LIVES,
    FATE_NO_ANSWER,
    Fuzzer,
    SlowReader,
    fuzz_cases,
    run_churn,
)
from simrooms.events import CLIENT_EVENTS  # noqa: E402

HONEST_ROOM = "soak-honest"
SOAK_USER, SOAK_PASSWORD = "soak", "soak-password"
COUNTERS = (
    "simrooms_connections",
    "simrooms_connections_closed_malformed",
    "simrooms_connections_closed_backlog",
    "simrooms_requests_refused_oversized",
    "simrooms_room_errors",
    "simrooms_ticks_total",
    "simrooms_state_updates_total",
)
LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ (DEBUG|INFO|WARNING|ERROR|CRITICAL) (\S+): (.*)$")


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def open_fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def metrics(url: str) -> dict[str, float]:
    """Unlabelled figures of /metrics, the event counters summed by outcome, the lag histogram."""
    out: dict[str, float] = {}
    for line in requests.get(url + "/metrics", timeout=30).text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        name, value = line.rsplit(" ", 1)
        if name.startswith("simrooms_events_total{"):
            outcome = name.split('outcome="', 1)[1].split('"', 1)[0]
            out[f"events {outcome}"] = out.get(f"events {outcome}", 0) + float(value)
        elif name.startswith("simrooms_event_loop_lag_seconds_bucket"):
            out["lag le " + name.split('le="', 1)[1].split('"', 1)[0]] = float(value)
        elif name.startswith("simrooms_gc_pause"):  # gc2 le 0.1, gc2 count, gc2 longest, ...
            generation = name.split('generation="', 1)[1][0]
            base = name.split("{")[0]
            kind = "longest" if "longest" in base else base.rsplit("_", 1)[1]  # count, sum, bucket
            kind = "le " + name.split('le="', 1)[1].split('"', 1)[0] if kind == "bucket" else kind
            out[f"gc{generation} {kind}"] = float(value)
        elif "{" not in name:
            out[name] = float(value)
    return out


def log_summary(path: Path) -> dict[str, Any]:
    """The server log's lines by level, whether a Traceback appeared, the commonest messages."""
    levels: collections.Counter[str] = collections.Counter()
    kinds: collections.Counter[str] = collections.Counter()
    tracebacks = 0
    for line in path.read_text(errors="replace").splitlines():
        if line.startswith("Traceback"):
            tracebacks += 1
        match = LOG_LINE.match(line)
        if match:
            levels[match.group(1)] += 1
            if match.group(1) in ("WARNING", "ERROR", "CRITICAL"):
                text = re.sub(r"(?<![\w-])[\w-]{20}(?![\w-])", "SID", match.group(3))
                text = re.sub(r"\d+", "N", text)
                kinds[f"{match.group(1)} {match.group(2)}: {text[:110]}"] += 1
    return {"levels": dict(levels), "tracebacks": tracebacks, "top": kinds.most_common(8)}


class Honest:
    """The honest observer: a python-socketio client that records every state_update's `ts`."""

    def __init__(self, url: str, token: str) -> None:
        self.updates: list[tuple[int, int]] = []  # (ts ms, tick)
        self.client = socketio.Client(reconnection=False)
        self.client.on("state_update", self._update, namespace="/sim")
        self.client.connect(
            url, namespaces=["/sim"], auth={"token": token}, transports=["websocket"], wait_timeout=30
        )
        ack = self.client.call("join_room", {"room": HONEST_ROOM}, namespace="/sim", timeout=60)
        assert ack["ok"], ack

    def _update(self, data: dict[str, Any]) -> None:
        self.updates.append((int(data["ts"]), int(data["tick"])))

    def figures(self, start_ms: float, end_ms: float) -> dict[str, Any]:
        seen = [u for u in self.updates if start_ms <= u[0] <= end_ms]
        gaps = [b[0] - a[0] for a, b in itertools.pairwise(seen)]
        span = (seen[-1][0] - seen[0][0]) / 1000 if len(seen) > 1 else float("nan")
        return {
            "updates": len(seen),
            "ticks_per_second": round((seen[-1][1] - seen[0][1]) / span, 3)
            if len(seen) > 1
            else float("nan"),
            "updates_per_second": round((len(seen) - 1) / span, 3) if len(seen) > 1 else float("nan"),
            "worst_gap_ms": max(gaps) if gaps else None,
            "gap_p99_ms": percentile([float(g) for g in gaps], 99),
            "gaps_over_250ms": sum(g > 250 for g in gaps),
            "gaps_over_1s": sum(g > 1000 for g in gaps),
        }


def soak(args: argparse.Namespace) -> dict[str, Any]:
    data_dir = Path(tempfile.mkdtemp(prefix="simrooms-soak-"))
    server = BenchServer(data_dir, dict(item.split("=", 1) for item in args.env))
    pid = server.process.pid
    figures: dict[str, Any] = {"load_average_before": os.getloadavg()}
    try:
        made = subprocess.run(
            [sys.executable, "-m", "server.cli", "user", "create", SOAK_USER, "--data-dir", str(data_dir), "--password-stdin"],
            cwd=REPO, input=SOAK_PASSWORD.encode(), capture_output=True, timeout=120,
        )  # fmt: skip
        assert made.returncode == 0, made.stderr.decode()
        admin_token = server.token()
        answer = requests.post(
            server.url + "/api/token", json={"username": SOAK_USER, "password": SOAK_PASSWORD}, timeout=60
        )
        answer.raise_for_status()
        token = str(answer.json()["token"])

        control = socketio.Client(reconnection=False)
        control.connect(server.url, namespaces=["/sim"], auth={"token": admin_token}, transports=["websocket"], wait_timeout=30)  # fmt: skip
        ack = control.call("create_room", {"name": HONEST_ROOM, "agents": 4, "policy": args.policy, "speed": 1.0, "seed": 7}, namespace="/sim", timeout=120)  # fmt: skip
        assert ack["ok"], ack
        assert control.call("start_game", {"room": HONEST_ROOM}, namespace="/sim", timeout=60)["ok"]
        honest = Honest(server.url, admin_token)
        time.sleep(args.warmup)
        figures["rss_before_kib"], figures["fds_before"] = rss_kib(pid), open_fds(pid)
        metrics_before = metrics(server.url)

        all_churned: list[dict[str, Any]] = []
        all_readers: list[SlowReader] = []
        fuzzers: list[Fuzzer] = []
        rounds: list[dict[str, Any]] = []
        first_start = time.time()
        churn_total = 0.0
        for round_index in range(args.rounds):
            # The load.
            stop = threading.Event()
            samples: list[
                tuple[float, int, float, int]
            ] = []  # (s since start, RSS KiB, closed for backlog, fds)
            backlog0 = metrics(server.url).get("simrooms_connections_closed_backlog", 0.0)
            start = time.time()
            deadline = start + args.max_seconds

            def sample(
                stop: threading.Event = stop, samples: list[Any] = samples, start: float = start
            ) -> None:
                while not stop.wait(1.0):
                    try:
                        closed = metrics(server.url).get("simrooms_connections_closed_backlog", 0.0)
                    except requests.RequestException:
                        closed = float("nan")
                    samples.append((round(time.time() - start, 1), rss_kib(pid), closed, open_fds(pid)))

            readers = [
                SlowReader(server.url, token, HONEST_ROOM, args.slow_rate) for _ in range(args.slow_readers)
            ]
            fuzzer = Fuzzer(server.url, token, fuzz_cases(sorted(CLIENT_EVENTS), args.seed), args.fuzz_rate, args.fuzz_timeout, args.seed)  # fmt: skip
            threads = [threading.Thread(target=sample, daemon=True), threading.Thread(target=fuzzer.run, args=(stop,), daemon=True)]  # fmt: skip
            threads += [threading.Thread(target=r.run, args=(stop,), daemon=True) for r in readers]
            cpu0 = cpu_seconds(pid)
            for thread in threads:
                thread.start()
            shares = [args.cycles // args.churn_workers + (i < args.cycles % args.churn_workers) for i in range(args.churn_workers)]  # fmt: skip
            with multiprocessing.get_context("spawn").Pool(args.churn_workers) as pool:
                pending = [
                    pool.apply_async(run_churn, (server.url, token, HONEST_ROOM, share, args.churn_threads, deadline, args.timeout))
                    for share in shares
                ]  # fmt: skip
                churned = [p.get(timeout=args.max_seconds + 120) for p in pending]
            churn_end = time.time()
            churn_total += churn_end - start
            if args.min_seconds > churn_end - start:  # let the slow readers and the fuzzer go on
                time.sleep(min(deadline, start + args.min_seconds) - time.time())
            end = time.time()
            cpu1 = cpu_seconds(pid)
            stop.set()
            for thread in threads:
                thread.join(30)
            honest_figures = honest.figures(start * 1000, end * 1000)
            honest_figures["gaps_over_250ms_at_s"] = [
                (round((b[0] / 1000 - start), 1), b[0] - a[0])
                for a, b in itertools.pairwise(honest.updates)
                if b[0] - a[0] > 250 and start * 1000 <= b[0] <= end * 1000
            ]
            settled: list[tuple[int, int, float]] = []  # (RSS KiB, fds, connections) each second
            for _ in range(max(1, round(args.settle))):
                time.sleep(1.0)
                settled.append(
                    (rss_kib(pid), open_fds(pid), metrics(server.url).get("simrooms_connections", 0.0))
                )
            figures["fds_after"] = open_fds(pid)
            figures["rss_after_kib"] = rss_kib(pid)
            all_churned += churned
            all_readers += readers
            fuzzers.append(fuzzer)
            rounds.append({
                "round": round_index + 1,
                "cycles_per_second": round(sum(sum(c["outcomes"].values()) for c in churned) / max(1e-9, churn_end - start), 1),
                "cycles_ok": sum(c["outcomes"].get("ok", 0) for c in churned),
                "rss_peak_kib": max(r for _, r, _, _ in samples) if samples else None,
                "rss_after_kib": figures["rss_after_kib"],
                "fds_after": figures["fds_after"],
                "connections_after": settled[-1][2],
                "honest_worst_gap_ms": honest_figures["worst_gap_ms"],
                "closed_for_backlog": samples[-1][2] - backlog0 if samples else None,
                "first_backlog_close_s": next((t for t, _, c, _ in samples if c > backlog0), None),
            })  # fmt: skip
        honest_alive = honest.client.connected
        honest.client.disconnect()
        control.disconnect()
        churned, readers = all_churned, all_readers
        for other in fuzzers[:-1]:
            fuzzer.fates.update(other.fates)
            fuzzer.expected |= other.expected
            fuzzer.connects += other.connects
            fuzzer.connect_failures.update(other.connect_failures)
        overall = honest.figures(first_start * 1000, end * 1000)
        overall["gaps_over_250ms_at_s"] = [
            (round((b[0] / 1000 - first_start), 1), b[0] - a[0])
            for a, b in itertools.pairwise(honest.updates)
            if b[0] - a[0] > 250 and first_start * 1000 <= b[0] <= end * 1000
        ]
        metrics_after = metrics(server.url)
        figures["log"] = log_summary(server.log_path)
    finally:
        server.stop()

    outcomes: collections.Counter[str] = collections.Counter()
    seconds: list[float] = []
    for share in churned:
        outcomes.update(share["outcomes"])
        seconds += share["seconds"]
    done = sum(outcomes.values())
    fates: collections.Counter[str] = collections.Counter()
    unexpected: collections.Counter[str] = collections.Counter()
    by_kind: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    for (kind, name, fate), count in fuzzer.fates.items():
        fates[fate] += count
        by_kind[kind][fate] += count
        expected = fuzzer.expected[(kind, name)]
        ok = (
            fate in (FATE_CLOSED, FATE_LIVES)
            if expected == FATE_CLOSED_OR_LIVES
            else fate in (expected, f"ack {expected}")
        )
        if not ok:
            unexpected[f"{kind} / {name}: {fate} (expected {expected})"] += count
    lag = {
        k: metrics_after.get(k, 0) - metrics_before.get(k, 0)
        for k in (
            "simrooms_event_loop_lag_seconds_sum",
            "simrooms_event_loop_lag_seconds_count",
            "lag le 0.05",
            "lag le 0.25",
        )
    }
    probes = lag["simrooms_event_loop_lag_seconds_count"]

    def delta(key: str) -> float:
        return metrics_after.get(key, 0) - metrics_before.get(key, 0)

    gc_pauses = {  # during the load and the settling after it; the longest since the server started
        g: {
            "collections": int(delta(f"gc{g} count")),
            "seconds": round(delta(f"gc{g} sum"), 3),
            "over_25ms": int(delta(f"gc{g} count") - delta(f"gc{g} le 0.025")),
            "over_100ms": int(delta(f"gc{g} count") - delta(f"gc{g} le 0.1")),
            "longest_ms": round(1000 * metrics_after[f"gc{g} longest"], 1)
            if f"gc{g} longest" in metrics_after
            else None,
        }
        for g in range(3)
    }
    closes = [(t, c) for t, _, c, _ in samples]
    first_backlog_close = rounds[-1]["first_backlog_close_s"]
    figures |= {
        "seconds": round(end - start, 1),
        "churn_seconds": round(churn_end - start, 1),
        "rss_peak_kib": max([figures["rss_before_kib"], *(r["rss_peak_kib"] or 0 for r in rounds)]),
        "rss_series_kib": [r for _, r, _, _ in samples],
        "fds_peak": max([figures["fds_before"], *(n for *_, n in samples)]),
        "fds_series": [n for *_, n in samples],
        "settle_series": {
            "rss_kib": [r for r, _, _ in settled],
            "fds": [n for _, n, _ in settled],
            "connections": [c for *_, c in settled],
        },
        "server_cpu_percent": round(100 * (cpu1 - cpu0) / (end - start), 1),
        "loop_lag_mean_ms": round(1000 * lag["simrooms_event_loop_lag_seconds_sum"] / probes, 2)
        if probes
        else None,
        "loop_lag_over_50ms": round(1 - lag["lag le 0.05"] / probes, 4) if probes else None,
        "loop_lag_over_250ms": round(1 - lag["lag le 0.25"] / probes, 4) if probes else None,
        "gc_pauses": gc_pauses,
        "honest": honest_figures | {"still_connected": honest_alive},
        "honest_all_rounds": overall,
        "rounds": rounds,
        "churn": {
            "cycles_asked": args.cycles * args.rounds,
            "cycles_done": done,
            "cycles_per_second": round(done / max(1e-9, churn_total), 1),
            "outcomes": dict(outcomes.most_common()),
            "cycle_p50_ms": round(1000 * percentile(seconds, 50), 1),
            "cycle_p99_ms": round(1000 * percentile(seconds, 99), 1),
            "cycle_max_ms": round(1000 * max(seconds), 1) if seconds else None,
        },
        "slow_readers": {
            "count": len(readers),
            "closed_for_backlog": metrics_after.get("simrooms_connections_closed_backlog", 0)
            - metrics_before.get("simrooms_connections_closed_backlog", 0),
            "first_backlog_close_s": first_backlog_close,
            "backlog_closes_by_second": [
                (t, c) for (t, c), (_, p) in zip(closes[1:], closes, strict=False) if c != p
            ],
            "sends_failed": sum(r.closed_after is not None for r in readers),
            "sends_failed_after_s": sorted(
                round(r.closed_after, 1) for r in readers if r.closed_after is not None
            ),
            "get_state_sent": sum(r.sent for r in readers),
            "errors": dict(collections.Counter(r.error for r in readers if r.error)),
        },
        "fuzzer": {
            "cases": len(fuzzer.cases),
            "sent": sum(fates.values()),
            "connections": fuzzer.connects,
            "connect_failures": dict(fuzzer.connect_failures),
            "fates": dict(fates.most_common()),
            "by_kind": {k: dict(v.most_common()) for k, v in sorted(by_kind.items())},
            "unexpected": dict(unexpected.most_common()),
            "known_events_unanswered": sum(
                c
                for (kind, _, fate), c in fuzzer.fates.items()
                if fate in (FATE_NO_ANSWER, FATE_LIVES)
                and kind != "unknown event"
                and kind not in ("malformed", "engine.io oddity")
            ),
        },
        "metrics_end": {k: metrics_after.get(k) for k in COUNTERS},
        "events_by_outcome": {k[7:]: v for k, v in sorted(metrics_after.items()) if k.startswith("events ")},
        "log_with_shutdown": log_summary(server.log_path),
        "load_average_after": os.getloadavg(),
    }
    return figures


def report(f: dict[str, Any]) -> None:
    mib = 1024
    print(f"load average before {f['load_average_before']}, after {f['load_average_after']}")
    print(f"{f['seconds']} s of load ({f['churn_seconds']} s of churn); server CPU {f['server_cpu_percent']} % of a core; "
          f"loop lag mean {f['loop_lag_mean_ms']} ms, >50 ms {f['loop_lag_over_50ms']}, >250 ms {f['loop_lag_over_250ms']}")  # fmt: skip
    print("\nRSS MiB | before | peak | after")
    print(
        f"        | {f['rss_before_kib'] / mib:.1f} | {f['rss_peak_kib'] / mib:.1f} | {f['rss_after_kib'] / mib:.1f}"
    )
    print(f"open fds | {f['fds_before']} | {f['fds_peak']} | {f['fds_after']}")
    settle = f["settle_series"]
    print(f"after the load, each second: RSS MiB {[round(r / mib) for r in settle['rss_kib']]}")
    print(f"  fds {settle['fds']}")
    print(f"  /metrics connections {[int(c) for c in settle['connections']]}")
    h = f["honest"]
    print(
        "\nhonest room | updates | ticks/s | updates/s | worst gap ms | p99 gap ms | gaps >250 ms | >1 s | connected"
    )
    print(f"            | {h['updates']} | {h['ticks_per_second']} | {h['updates_per_second']} | {h['worst_gap_ms']} | "
          f"{h['gap_p99_ms']} | {h['gaps_over_250ms']} | {h['gaps_over_1s']} | {h['still_connected']}")  # fmt: skip
    print(f"gaps over 250 ms (s into the load, ms): {h['gaps_over_250ms_at_s']}")
    print(
        "\ngarbage collections | during the load and settling | seconds | over 25 ms | over 100 ms | longest ms (since start)"
    )
    for g, c in f["gc_pauses"].items():
        print(
            f"generation {g} | {c['collections']} | {c['seconds']} | {c['over_25ms']} | {c['over_100ms']} | {c['longest_ms']}"
        )
    if len(f["rounds"]) > 1:
        o = f["honest_all_rounds"]
        print(
            f"all rounds: {o['updates']} updates, {o['ticks_per_second']} ticks/s, worst gap {o['worst_gap_ms']} ms"
        )
        print(f"gaps over 250 ms (s from the first round's start, ms): {o['gaps_over_250ms_at_s']}")
        print(
            "round | cycles/s | cycles ok | RSS peak MiB | RSS after MiB | fds after | connections after | worst gap ms"
        )
        for r in f["rounds"]:
            print(f"{r['round']} | {r['cycles_per_second']} | {r['cycles_ok']} | {r['rss_peak_kib'] / mib:.1f} | "
                  f"{r['rss_after_kib'] / mib:.1f} | {r['fds_after']} | {r['connections_after']:g} | {r['honest_worst_gap_ms']}")  # fmt: skip
    c = f["churn"]
    print(f"\nchurn: {c['cycles_done']} of {c['cycles_asked']} cycles, {c['cycles_per_second']}/s; "
          f"cycle p50 {c['cycle_p50_ms']} ms, p99 {c['cycle_p99_ms']} ms, max {c['cycle_max_ms']} ms")  # fmt: skip
    print("outcome | cycles")
    for outcome, count in c["outcomes"].items():
        print(f"{outcome} | {count}")
    s = f["slow_readers"]
    print(f"\nslow readers: {s['count']}, closed for backlog {s['closed_for_backlog']:g} (first at {s['first_backlog_close_s']} s; "
          f"closes by second {s['backlog_closes_by_second']}); their sends failed: {s['sends_failed']} at {s['sends_failed_after_s']} s; "
          f"get_state sent {s['get_state_sent']}; errors {s['errors']}")  # fmt: skip
    z = f["fuzzer"]
    print(f"\nfuzzer: {z['sent']} cases sent ({z['cases']} distinct) over {z['connections']} connections; connect failures {z['connect_failures']}")  # fmt: skip
    print("fate | count")
    for fate, count in z["fates"].items():
        print(f"{fate} | {count}")
    print("kind | fates")
    for kind, counts in z["by_kind"].items():
        print(f"{kind} | {counts}")
    print(f"known events left unanswered: {z['known_events_unanswered']}")
    print("unexpected fates:" + ("" if z["unexpected"] else " none"))
    for what, count in list(z["unexpected"].items())[:20]:
        print(f"  {count} x {what}")
    print("\n/metrics at the end | value")
    for name, value in f["metrics_end"].items():
        print(f"{name} | {value}")
    print(f"events by outcome: {f['events_by_outcome']}")
    log = f["log"]
    print(f"\nserver log until the end of the soak: {log['levels']}, Traceback {log['tracebacks']}")
    for text, count in log["top"]:
        print(f"  {count} x {text}")
    full = f["log_with_shutdown"]
    print(f"with its shutdown: {full['levels']}, Traceback {full['tracebacks']}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cycles", type=int, default=10_000, help="connect/join/leave/disconnect cycles")
    parser.add_argument("--quick", action="store_true", help="1,000 cycles, 2 minutes at most")
    parser.add_argument("--churn-workers", type=int, default=2, help="churn processes")
    parser.add_argument("--churn-threads", type=int, default=4, help="churn threads per process")
    parser.add_argument("--slow-readers", type=int, default=20)
    parser.add_argument("--slow-rate", type=float, default=20.0, help="get_state a second per slow reader")
    parser.add_argument(
        "--fuzz-rate", type=float, default=8.0, help="fuzz cases a second (each with a probe)"
    )
    parser.add_argument("--fuzz-timeout", type=float, default=2.0, help="s to wait for an answer to a case")
    parser.add_argument("--timeout", type=float, default=10.0, help="s a churn step may take")
    parser.add_argument(
        "--policy", default="learning", choices=["learning", "heuristic"], help="the honest room's"
    )
    parser.add_argument(
        "--max-seconds", type=float, default=600.0, help="the load stops then, cycles done or not"
    )
    parser.add_argument("--min-seconds", type=float, default=60.0, help="slow readers and fuzzer go on this long at least")  # fmt: skip
    parser.add_argument(
        "--warmup", type=float, default=5.0, help="s of the honest room alone before the load"
    )
    parser.add_argument("--settle", type=float, default=10.0, help="s after the load before RSS 'after'")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="the whole load this many times on one server (a leak grows each round)",
    )
    parser.add_argument("--env", nargs="*", default=[], metavar="NAME=VALUE", help="server settings")
    parser.add_argument("--json", type=Path, help="also write the figures there")
    args = parser.parse_args(argv)
    if args.quick:
        args.cycles, args.max_seconds = min(args.cycles, 1000), min(args.max_seconds, 120.0)
    figures = soak(args)
    report(figures)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
