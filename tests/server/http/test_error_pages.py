"""Pages that tell the truth (server.http.errors, server.http.pages): styled 404 and 403 pages for
people and JSON for programs, an unknown or private room's page, and the login form's help."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.support.app import running_app
from tests.support.server import NS, PASSWORD, csrf_token

USERS = {"alice": False, "bob": False, "root": True}
HTML = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    with running_app(tmp_path, USERS) as (flask_app, _):
        yield flask_app


def signed_in(app: Flask, user: str) -> FlaskClient:
    client = app.test_client()
    token = csrf_token(client.get("/login").get_data(as_text=True))
    answer = client.post("/login", data={"username": user, "password": PASSWORD, "csrf_token": token})
    assert answer.status_code == 303
    return client


def styled(answer: Any, status: int) -> str:
    """The page of `answer`, checked to be the site's error page for `status` with a lobby link."""
    assert answer.status_code == status
    assert answer.content_type.startswith("text/html")
    page = str(answer.get_data(as_text=True))
    assert 'class="card narrow error-page"' in page and f'data-status="{status}"' in page
    assert 'href="/static/css/app.css"' in page and 'class="topbar"' in page
    assert '<a class="btn btn-primary" href="/">Back to the lobby</a>' in page
    return page


def test_unknown_paths_are_a_styled_404_for_people_and_json_for_programs(app: Flask) -> None:
    anonymous = app.test_client()
    page = styled(anonymous.get("/no/such/page", headers=HTML), 404)
    assert "Page not found" in page and "/no/such/page" in page and 'href="/login"' in page
    alice = signed_in(app, "alice")
    page = styled(alice.get("/nothing-here", headers=HTML), 404)
    assert "alice" in page and 'href="/login">Sign in' not in page
    missing = alice.get("/api/no-such-route", headers=HTML)
    assert missing.status_code == 404 and missing.json == {
        "error": "There is nothing at '/api/no-such-route' (or you may not see it)."
    }
    wants_json = alice.get("/no/such/page", headers={"Accept": "application/json"})
    assert wants_json.status_code == 404 and "error" in wants_json.json  # type: ignore[operator]


def test_the_api_keeps_its_own_json_errors(app: Flask) -> None:
    anonymous = app.test_client()
    assert anonymous.get("/api/rooms", headers=HTML).json == {
        "error": "Sign in or send Authorization: Bearer TOKEN."
    }
    alice = signed_in(app, "alice")
    gone = alice.get("/api/rooms/Nowhere/episodes", headers=HTML)
    assert gone.status_code == 404 and gone.json == {"error": "There is no room named 'Nowhere'."}
    assert alice.get("/api/admin/rooms", headers=HTML).status_code == 403
    assert alice.get("/api/admin/rooms", headers=HTML).content_type == "application/json"


def test_the_admin_page_is_a_styled_403_for_others(app: Flask) -> None:
    page = styled(signed_in(app, "alice").get("/admin", headers=HTML), 403)
    assert "Not allowed" in page and "The admin page is for admins." in page
    assert signed_in(app, "root").get("/admin").status_code == 200


def test_an_unknown_or_private_room_is_a_404_page_with_a_lobby_link(app: Flask) -> None:
    alice = signed_in(app, "alice")
    page = styled(alice.get("/rooms/Nowhere", headers=HTML), 404)
    assert "No such room" in page and "There is no room named &#39;Nowhere&#39; (or it is private)." in page
    assert 'id="board"' not in page

    sio = app.extensions["socketio"].test_client(app, namespace=NS, flask_test_client=alice)
    made = sio.emit(
        "create_room",
        {"name": "Secret Lab", "agents": 1, "policy": "random", "public": False},
        namespace=NS,
        callback=True,
    )
    assert made["ok"], made
    sio.disconnect(namespace=NS)
    assert 'id="board"' in alice.get("/rooms/Secret%20Lab").get_data(as_text=True)
    assert 'id="board"' in alice.get("/rooms/secret%20lab").get_data(as_text=True), "names ignore case"
    hidden = styled(signed_in(app, "bob").get("/rooms/Secret%20Lab", headers=HTML), 404)
    assert "There is no room named &#39;Secret Lab&#39; (or it is private)." in hidden
    assert 'id="board"' in signed_in(app, "root").get("/rooms/Secret%20Lab").get_data(as_text=True)


def test_the_login_page_says_how_to_get_an_account_when_sign_up_is_off(app: Flask) -> None:
    anonymous = app.test_client()
    page = anonymous.get("/login").get_data(as_text=True)
    assert 'href="/signup"' not in page
    assert "ask one of its" in page and "simrooms user create NAME --password-stdin" in page
    page = styled(anonymous.get("/signup", headers=HTML), 404)
    assert "Sign-up is off on this server" in page


def test_sign_up_on_links_to_the_form_instead(tmp_path: Path) -> None:
    with running_app(tmp_path, USERS, allow_signup=True) as (app, _):
        page = app.test_client().get("/login").get_data(as_text=True)
        assert 'href="/signup"' in page and "simrooms user create" not in page


def test_a_failed_login_keeps_the_user_name_and_does_not_say_which_part_was_wrong(app: Flask) -> None:
    client = app.test_client()
    token = csrf_token(client.get("/login").get_data(as_text=True))
    fresh = client.get("/login").get_data(as_text=True)
    assert 'value=""' in fresh and "autofocus" in fresh.split('name="username"')[1].split(">")[0]
    pages = []
    for name, password in (("alice", "wrong password"), ("nobody", PASSWORD)):
        answer = client.post("/login", data={"username": name, "password": password, "csrf_token": token})
        assert answer.status_code == 401
        pages.append(answer.get_data(as_text=True))
        username_input = pages[-1].split('name="username"')[1].split(">")[0]
        assert f'value="{name}"' in username_input and "autofocus" not in username_input
        assert "autofocus" in pages[-1].split('name="password"')[1].split(">")[0]
        assert "Wrong user name or password." in pages[-1]
    # The same answer whether the name exists or not, but for the name itself (and the form's
    # CSRF token, signed with the time).
    same = [re.sub(r'name="csrf_token" value="[^"]+"', "", p) for p in pages]
    assert same[0].replace('value="alice"', "") == same[1].replace('value="nobody"', "")
    escaped = client.post(
        "/login", data={"username": '"><script>x', "password": "x" * 8, "csrf_token": token}
    ).get_data(as_text=True)
    assert 'value="&#34;&gt;&lt;script&gt;x"' in escaped
