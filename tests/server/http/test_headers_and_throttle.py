"""Security headers, the session cookie's Secure flag and the password-check throttle
(server.http.headers, server.http.throttle) through Flask's test client."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask.testing import FlaskClient

from server.http.headers import HEADERS
from tests.support.app import running_app
from tests.support.server import PASSWORD, csrf_token


@pytest.mark.parametrize("path", ["/login", "/healthz", "/static/js/common.js", "/no-such-page"])
def test_every_response_carries_the_security_headers(tmp_path: Path, path: str) -> None:
    with running_app(tmp_path) as (flask_app, _):
        answer = flask_app.test_client().get(path)
        for name, value in HEADERS.items():
            assert answer.headers.get(name) == value, (path, name)
        policy = answer.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in policy and "script-src 'self'" in policy


def sign_in(http: FlaskClient, base_url: str) -> str:
    page = http.get("/login", base_url=base_url).get_data(as_text=True)
    answer = http.post(
        "/login",
        data={"username": "alice", "password": PASSWORD, "csrf_token": csrf_token(page)},
        base_url=base_url,
    )
    assert answer.status_code == 303
    return "; ".join(answer.headers.getlist("Set-Cookie"))


@pytest.mark.parametrize(
    ("setting", "base_url", "secure"),
    [
        ("auto", "https://simrooms.example", True),
        ("auto", "http://localhost", False),
        ("always", "http://localhost", True),
        ("never", "https://simrooms.example", False),
    ],
)
def test_the_session_cookie_is_secure_as_the_setting_says(
    tmp_path: Path, setting: str, base_url: str, secure: bool
) -> None:
    with running_app(tmp_path, cookie_secure=setting) as (flask_app, _):
        cookie = sign_in(flask_app.test_client(), base_url)
        assert ("Secure" in cookie) == secure, cookie


def test_password_checks_are_limited_per_account_whatever_the_address(tmp_path: Path) -> None:
    with running_app(
        tmp_path, login_attempts_per_account_burst=3, login_attempts_per_account_per_second=0.01
    ) as (flask_app, _):
        http = flask_app.test_client()
        codes = [
            http.post(
                "/api/token",
                json={"username": "alice", "password": "wrong password"},
                environ_base={"REMOTE_ADDR": f"10.0.0.{index}"},
            ).status_code
            for index in range(5)
        ]
        assert codes == [401, 401, 401, 429, 429]
        refused = http.post("/api/token", json={"username": "alice", "password": PASSWORD})
        assert refused.status_code == 429 and "alice" in refused.json["error"]  # type: ignore[index]
        other = http.post("/api/token", json={"username": "bob", "password": PASSWORD})
        assert other.status_code == 200, "another account is not held back"


def test_forwarded_addresses_count_only_behind_trusted_proxies(tmp_path: Path) -> None:
    for proxies, expected in ((0, [401, 429, 429]), (1, [401, 401, 401])):
        with running_app(
            tmp_path / str(proxies),
            trusted_proxies=proxies,
            login_attempts_burst=1,
            login_attempts_per_second=0.01,
        ) as (flask_app, _):
            http = flask_app.test_client()
            codes = [
                http.post(
                    "/api/token",
                    json={"username": name, "password": "wrong password"},
                    headers={"X-Forwarded-For": f"192.0.2.{index}"},
                ).status_code
                for index, name in enumerate(("alice", "bob", "carol"))
            ]
            assert codes == expected, (proxies, codes)


@pytest.mark.parametrize(
    ("host", "restricted", "status"),
    [("127.0.0.1", None, 200), ("0.0.0.0", None, 401), ("0.0.0.0", False, 200), ("127.0.0.1", True, 401)],
)
def test_metrics_are_open_on_loopback_and_for_admins_beyond_unless_set(
    tmp_path: Path, host: str, restricted: bool | None, status: int
) -> None:
    with running_app(tmp_path, host=host, metrics_restricted=restricted) as (flask_app, _):
        assert flask_app.test_client().get("/metrics").status_code == status
