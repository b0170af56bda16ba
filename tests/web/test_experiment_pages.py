"""server.http.experiments over Flask's test client: the sweep and compare pages need a session,
render their shells (whether or not the sweep or rooms exist) and load only this origin's files."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from tests.support.app import running_app
from tests.support.server import PASSWORD, csrf_token


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    with running_app(tmp_path, {"alice": False}) as (flask_app, _):
        yield flask_app


def page_data(html: str) -> dict[str, object]:
    found = re.search(r'<script type="application/json" id="experiment-data">(.*?)</script>', html)
    assert found, html
    return dict(json.loads(found.group(1)))


def test_the_experiment_pages(app: Flask) -> None:
    client = app.test_client()
    for path in ("/sweeps/lr%20sweep", "/compare?rooms=A&rooms=B"):
        answer = client.get(path)
        assert answer.status_code == 303 and answer.headers["Location"].startswith("/login?next=/"), path
    token = csrf_token(client.get("/login").get_data(as_text=True))
    client.post("/login", data={"username": "alice", "password": PASSWORD, "csrf_token": token})

    sweep = client.get("/sweeps/lr%20sweep")
    assert sweep.status_code == 200 and sweep.headers["Cache-Control"] == "no-store"
    html = sweep.get_data(as_text=True)
    assert page_data(html) == {"sweep": "lr sweep"}
    assert 'id="sweep-missing"' in html and "js/sweep.js" in html and "https://" not in html

    html = client.get("/compare?rooms=A&rooms=B&rooms=a&rooms=").get_data(as_text=True)
    assert page_data(html) == {"rooms": ["A", "B"]}  # once each, whatever the case
    assert "Compare 2 rooms" in html and "js/compare.js" in html
    many = client.get("/compare?" + "&".join(f"rooms=R{i}" for i in range(20))).get_data(as_text=True)
    assert len(page_data(many)["rooms"]) == 12 and "8 more rooms" in many  # type: ignore[arg-type]
    assert "No rooms to compare" in client.get("/compare").get_data(as_text=True)
    scripts = "plot curves experiments sweep compare config_fields lobby_sweep room_facts"
    for script in scripts.split():
        assert client.get(f"/static/js/{script}.js").status_code == 200, script
