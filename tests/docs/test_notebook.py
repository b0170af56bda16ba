"""docs/simrooms_tour.ipynb runs as is against a real server (nbclient, the kernel on this
Python): no cell fails, both figures are drawn, the fork exists while it runs, and every room
it made is deleted at the end."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.support.server import PASSWORD, REPO, Server

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

NOTEBOOK = REPO / "docs" / "simrooms_tour.ipynb"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = Server(
        tmp_path_factory.mktemp("serve"),
        {"SIMROOMS_RATE_LIMIT_PER_SECOND": "500", "SIMROOMS_RATE_LIMIT_BURST": "500"},
    )
    yield srv
    srv.stop()


def outputs(cell: Any, kind: str) -> list[Any]:
    return [out for out in cell.get("outputs", []) if out.get("output_type") == kind]


def text(cell: Any) -> str:
    return "".join(out.get("text", "") for out in outputs(cell, "stream"))


def test_committed_without_outputs() -> None:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, cell.source[:60]


@pytest.mark.timeout(180)
def test_the_notebook_runs_against_a_server(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    from jupyter_client.manager import KernelManager

    monkeypatch.setenv("SIMROOMS_URL", server.url)
    monkeypatch.setenv("SIMROOMS_USER", "alice")
    monkeypatch.setenv("SIMROOMS_PASSWORD", PASSWORD)
    monkeypatch.setenv("SIMROOMS_TOUR_EPISODES", "6")
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "1")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    # The kernel runs this interpreter (not whatever "python" a kernelspec would find on PATH).
    manager = KernelManager(kernel_name="python3")
    manager.kernel_cmd = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    notebook.cells.insert(1, nbformat.v4.new_code_cell("import sys\nprint(sys.executable)"))
    started = time.monotonic()
    nbclient.NotebookClient(
        notebook, km=manager, timeout=150, resources={"metadata": {"path": str(REPO)}}
    ).execute()
    took = time.monotonic() - started
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert text(code[0]).strip() == sys.executable
    for cell in code:
        assert not outputs(cell, "error"), cell.source[:60]
    figures = [
        out for cell in code for out in outputs(cell, "display_data") if "image/png" in out.get("data", {})
    ]
    assert len(figures) == 2, [cell.get("outputs") for cell in code]
    fork_cell = next(cell for cell in code if "fork=" in cell.source)
    assert "tour-fork-" in text(fork_cell).split("rooms now:")[1]
    assert "deleted 4 rooms" in text(code[-1])
    rooms = requests_rooms(server)
    assert not [name for name in rooms if name.startswith("tour-")], rooms
    assert took < 150, took


def requests_rooms(server: Server) -> list[str]:
    headers = {"Authorization": f"Bearer {server.token('root')}"}
    answer = requests.get(server.url + "/api/rooms", headers=headers, timeout=30)
    return [room["name"] for room in answer.json()["rooms"]]
