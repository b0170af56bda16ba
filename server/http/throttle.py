"""Who may have a password checked now.

A password check (argon2) costs tens of milliseconds of CPU and memory by design, so an attacker
who may ask for many at once exhausts the server. Checks are limited per client address (behind
trusted proxies, the forwarded one: see Settings.trusted_proxies), per account (many addresses
guessing one account's password), and in how many run at once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from server.ratelimit import KeyedLimiter
from server.settings import Settings

T = TypeVar("T")
CHECK_WAIT_SECONDS = 5.0
"""How long a request waits for one of the password checks at once before it is turned away."""


class Throttled(Exception):
    """A password check refused now; the message says why and what to do."""


class LoginThrottle:
    def __init__(self, settings: Settings) -> None:
        self._by_address = KeyedLimiter(settings.login_attempts_per_second, settings.login_attempts_burst)
        self._by_account = KeyedLimiter(
            settings.login_attempts_per_account_per_second, settings.login_attempts_per_account_burst
        )
        # Under eventlet this module is patched green: waiting here holds no OS thread.
        self._checks = threading.BoundedSemaphore(settings.password_checks_at_once)

    def run(self, address: str, account: str, check: Callable[[], T]) -> T:
        """`check()` (which checks a password), unless `address` or `account` asked too often or
        the server checks as many passwords as it may at once for longer than CHECK_WAIT_SECONDS."""
        if not self._by_address.take(address):
            raise Throttled("Too many sign-in attempts from this address; wait a minute.")
        if not self._by_account.take(account.lower()):
            raise Throttled(f"Too many sign-in attempts for {account!r}; wait a minute.")
        if not self._checks.acquire(timeout=CHECK_WAIT_SECONDS):
            raise Throttled("The server is busy checking passwords; try again in a moment.")
        try:
            return check()
        finally:
            self._checks.release()
