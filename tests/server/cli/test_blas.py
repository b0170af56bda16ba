"""The OpenBLAS preload that the `simrooms` entry point does (server.cli.blas); that simulate runs
on OpenBLAS is in test_simulate.py."""

from __future__ import annotations

import pytest

from server.cli.blas import DEFAULT_THREADS, OPT_OUT, THREADS, preload_environment

LIBRARY = "/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3"


def test_preload_is_prepended_with_one_thread() -> None:
    assert preload_environment({"PATH": "/bin"}, LIBRARY) == {
        "PATH": "/bin",
        "LD_PRELOAD": LIBRARY,
        THREADS: DEFAULT_THREADS,
    }
    env = preload_environment({"LD_PRELOAD": "/opt/a.so /opt/b.so", THREADS: "2"}, LIBRARY)
    assert env is not None
    assert env["LD_PRELOAD"] == f"{LIBRARY}:/opt/a.so:/opt/b.so"
    assert env[THREADS] == "2"


@pytest.mark.parametrize(
    ("environ", "library"),
    [
        ({}, None),
        ({"LD_PRELOAD": LIBRARY}, LIBRARY),
        ({"LD_PRELOAD": f"/opt/a.so:{LIBRARY}"}, LIBRARY),
        ({OPT_OUT: "1"}, LIBRARY),
        ({OPT_OUT: "yes"}, LIBRARY),
    ],
)
def test_no_re_exec_without_library_when_preloaded_or_opted_out(
    environ: dict[str, str], library: str | None
) -> None:
    assert preload_environment(environ, library) is None


@pytest.mark.parametrize("value", ["", "0"])
def test_empty_or_zero_opt_out_does_not_opt_out(value: str) -> None:
    assert preload_environment({OPT_OUT: value}, LIBRARY) is not None


def test_preload_does_not_touch_the_given_environment() -> None:
    environ = {"LD_PRELOAD": "/opt/a.so"}
    preload_environment(environ, LIBRARY)
    assert environ == {"LD_PRELOAD": "/opt/a.so"}
