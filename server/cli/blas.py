"""Give MLX OpenBLAS instead of the reference BLAS its Linux CPU wheel links.

The ``mlx[cpu]`` wheel brings netlib's reference BLAS, 10-15x slower than OpenBLAS on the matmuls
training does. Debian's ``libopenblas0-pthread`` exports the same symbols from a ``libblas.so.3``;
preloading it makes MLX bind to it. ``LD_PRELOAD`` is only read when a process starts, so the
entry point re-executes itself once with it set. Nothing here may import numpy or mlx: it runs
before them.
"""

from __future__ import annotations

import glob
import os
import re
import sys
import sysconfig
from collections.abc import Mapping, Sequence

OPT_OUT = "SIMROOMS_NO_BLAS_PRELOAD"
"""Set to anything but "" or "0" to keep the BLAS the wheel brings (e.g. to benchmark it)."""
THREADS = "OPENBLAS_NUM_THREADS"
# One thread each: the engine, the server and numpy share two cores, and OpenBLAS's default thread
# per core makes them thrash (measured on 2 cores: 5.5 ms against 0.29 ms for the same matmul).
DEFAULT_THREADS = "1"


def find_openblas() -> str | None:
    """The path of Debian's OpenBLAS ``libblas.so.3`` on this machine, or None."""
    if not sys.platform.startswith("linux"):
        return None
    multiarch = sysconfig.get_config_var("MULTIARCH")
    candidates = [f"/usr/lib/{multiarch}/openblas-pthread/libblas.so.3"] if multiarch else []
    # Pythons built outside Debian (pyenv, uv) may not know the multiarch triplet.
    candidates += sorted(glob.glob("/usr/lib/*/openblas-pthread/libblas.so.3"))
    return next((path for path in candidates if os.path.isfile(path)), None)


def preload_environment(environ: Mapping[str, str], library: str | None) -> dict[str, str] | None:
    """The environment to re-execute with so that `library` is preloaded, or None to go on as is.

    None when there is no library, the user opted out, or it is already preloaded (which is also
    what stops a re-executed process from doing it again).
    """
    if library is None or environ.get(OPT_OUT, "") not in ("", "0"):
        return None
    preloaded = [entry for entry in re.split(r"[:\s]+", environ.get("LD_PRELOAD", "")) if entry]
    if library in preloaded:
        return None
    new = dict(environ)
    new["LD_PRELOAD"] = ":".join([library, *preloaded])
    new.setdefault(THREADS, DEFAULT_THREADS)
    return new


def ensure_fast_blas(argv: Sequence[str]) -> None:
    """Re-execute this process with OpenBLAS preloaded when it is installed and not yet loaded.

    `argv` is the full command line of the interpreter (``sys.orig_argv``), so that ``-m`` and
    console scripts start again the same way. Call it first thing in the entry point, and only
    there: when it re-executes, it does not return.
    """
    os.environ.setdefault(THREADS, DEFAULT_THREADS)
    environment = preload_environment(os.environ, find_openblas())
    if environment is None:
        return
    sys.stdout.flush()
    sys.stderr.flush()
    # sys.executable, not argv[0]: a bare "python" would be looked up in PATH again.
    os.execve(sys.executable, [sys.executable, *argv[1:]], environment)


def blas_status() -> str:
    """Which BLAS MLX gets in this process: "openblas", "reference", or "unknown" without /proc."""
    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as maps:
            mapped = {os.path.basename(line.split()[-1]) for line in maps if "/" in line}
    except OSError:
        return "unknown"
    # numpy's own "libscipy_openblas64_" uses prefixed symbols MLX never binds to: it does not count.
    return "openblas" if any(name.startswith("libopenblas") for name in mapped) else "reference"
