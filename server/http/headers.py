"""Security headers on every HTTP response, and the session cookie's Secure flag.

The pages load nothing inline and nothing from elsewhere, so a strict Content-Security-Policy
costs nothing: scripts, styles, images and connections come from this origin only, and no page may
be framed (a framed ``/admin`` would carry the admin's session).
"""

from __future__ import annotations

from flask import Flask, Response, request
from flask.sessions import SecureCookieSessionInterface

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def add_security_headers(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    return response


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie session, marked Secure as the setting says: "auto" marks it when the
    request came over TLS (``request.is_secure``, which honours X-Forwarded-Proto from trusted
    proxies), so a browser never sends it over plain HTTP once it was set over HTTPS."""

    def __init__(self, secure: str) -> None:
        self.secure = secure

    def get_cookie_secure(self, app: Flask) -> bool:
        if self.secure == "auto":
            return request.is_secure
        return self.secure == "always"


def install(app: Flask, cookie_secure: str) -> None:
    app.after_request(add_security_headers)
    app.session_interface = SessionInterface(cookie_secure)
