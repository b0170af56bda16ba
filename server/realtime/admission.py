"""Whether a signed-in user may open another connection to /sim (where connections are limited:
Settings.connections_limited): a user connects at most so often and holds at most so many."""

from __future__ import annotations

from server.ratelimit import KeyedLimiter
from server.realtime.validation import ProtocolError
from server.settings import Settings
from server.storage.records import User


class Admission:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._connects = KeyedLimiter(settings.connects_per_user_per_second, settings.connects_per_user_burst)

    def check(self, user: User, held: int) -> None:
        """ProtocolError when `user`, who holds `held` connections, connects too often or already
        holds as many as one user may."""
        if not self._connects.take(str(user.id)):
            raise ProtocolError(
                "rate_limited",
                f"{user.name!r} connects too often: at most {self.settings.connects_per_user_per_second:g} "
                f"a second ({self.settings.connects_per_user_burst} at once). Wait and reconnect.",
            )
        if held >= self.settings.max_connections_per_user:
            raise ProtocolError(
                "limit_reached",
                f"{user.name!r} holds {held} connections, the most one user may; close one first.",
            )
