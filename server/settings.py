"""Typed server settings: command-line flags, ``SIMROOMS_*`` environment variables, defaults.

Every field reads the environment variable ``SIMROOMS_<FIELD NAME>`` (``SIMROOMS_PORT``,
``SIMROOMS_MAX_ROOMS``, ...) and is a flag of ``simrooms serve`` (``--port``, ``--max-rooms``),
which overrides it; the secret key and the test hooks are environment variables only. The defaults are the
embedded ones of ``make run``: 127.0.0.1:5000, SQLite under ``./instance``, no message queue.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field
from pydantic_settings import BaseSettings, CliSuppress, SettingsConfigDict

SECRET_KEY_FILE = "secret_key"
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


class Settings(BaseSettings):
    """Everything a running simrooms server can be told."""

    # Attribute docstrings are the fields' descriptions: `simrooms serve --help` shows them.
    model_config = SettingsConfigDict(env_prefix="SIMROOMS_", extra="ignore", use_attribute_docstrings=True)

    host: str = "127.0.0.1"
    """The address to listen on."""
    port: Annotated[int, Field(ge=0, le=65535)] = 5000
    """The port to listen on."""
    data_dir: Path = Path("instance")
    """Holds the SQLite database and the generated secret key."""
    database_url: str | None = None
    """SQLAlchemy URL; unset means ``sqlite:///<data_dir>/simrooms.db``."""
    message_queue: str | None = None
    """A Socket.IO message queue URL (e.g. ``redis://127.0.0.1:6379/0``) for several processes."""
    async_mode: Literal["eventlet", "threading"] = "eventlet"
    """How the server waits on sockets: eventlet's green threads, or a thread per connection."""
    serializer: Literal["json", "msgpack"] = "json"
    """Socket.IO wire format: JSON text, or msgpack binary (clients must use the msgpack parser:
    python-socketio's ``Client(serializer="msgpack")``, socket.io.msgpack.min.js in the browser)."""
    secret_key: CliSuppress[str | None] = None
    """Signs session cookies and CSRF tokens; unset means generated once and kept in the data dir."""

    max_rooms: Annotated[int, Field(ge=0)] = 500
    """Rooms one server holds at once."""
    max_rooms_per_user: Annotated[int, Field(ge=0)] = 20
    """Rooms one user may own at once (admins too)."""
    max_members_per_room: Annotated[int, Field(ge=1)] = 1000
    """Connections joined to one room at once."""
    limit_connections: bool | None = None
    """Whether the connection limits below apply (sessions per address, connections per user).
    Unset: only when the server listens beyond loopback (``host``); a loopback-only server is
    reached from its own machine alone (its operator, tests and load generators)."""
    sessions_per_address_per_second: Annotated[float, Field(gt=0)] = 50.0
    """Engine.IO sessions (handshakes, before any sign-in) one client address may open per second
    on average; more are refused with HTTP 401."""
    sessions_per_address_burst: Annotated[int, Field(ge=1)] = 200
    """Engine.IO sessions one client address may open at once before the average applies."""
    max_connections_per_user: Annotated[int, Field(ge=1)] = 256
    """Socket.IO connections one user (one account, all its tokens and sessions) holds at once."""
    connects_per_user_per_second: Annotated[float, Field(gt=0)] = 20.0
    """Socket.IO connections one user may open per second on average."""
    connects_per_user_burst: Annotated[int, Field(ge=1)] = 100
    """Socket.IO connections one user may open at once before the average applies."""
    name_probes_per_user_per_second: Annotated[float, Field(gt=0)] = 0.1
    """Answers a second, per user, that tell whether a name exists beyond what the user may see:
    ``create_room`` answered ``conflict`` (the name is taken, maybe by a private room) and
    ``grant_control`` answered ``not_found`` (no such user). With none left, every ``create_room``
    and ``grant_control`` of that user answers ``rate_limited``, whatever the name
    (docs/security.md)."""
    name_probes_per_user_burst: Annotated[int, Field(ge=1)] = 10
    """Such answers one user may have at once before the average applies."""
    rate_limit_per_second: Annotated[float, Field(gt=0)] = 20.0
    """Client events per second each connection may send on average."""
    rate_limit_burst: Annotated[int, Field(ge=1)] = 60
    """Client events a connection may send at once before the average applies."""
    token_lifetime_seconds: Annotated[int, Field(ge=1)] = 24 * 3600
    """How long a bearer token from ``POST /api/token`` is valid."""
    cookie_secure: Literal["auto", "always", "never"] = "auto"
    """Mark the session cookie Secure (sent over HTTPS only): "auto" when the request came over
    TLS (directly, or per X-Forwarded-Proto from a trusted proxy), "always", or "never"."""
    allow_signup: bool = False
    """Let visitors make their own accounts at /signup; otherwise ``simrooms user create`` does."""
    metrics_restricted: bool | None = None
    """Whether ``GET /metrics`` needs an admin's session or token. Unset: open while the server
    listens on a loopback address only (``host``), restricted when it listens beyond."""
    max_connections: Annotated[int, Field(ge=1)] = 10000
    """Concurrent connections the eventlet server accepts (its ``max_size``)."""
    max_queued_messages: Annotated[int, Field(ge=10)] = 1000
    """Messages that may wait to be sent to one connection (one that reads too slowly, or not at
    all); a connection with more is closed. At 20 updates a second, 1,000 are 50 s behind."""
    max_queued_bytes: Annotated[int, Field(ge=64 * 1024)] = 4 * 1024 * 1024
    """Bytes that may wait to be sent to one connection; a connection with more is closed."""
    max_message_bytes: Annotated[int, Field(ge=1024)] = 64 * 1024
    """The largest message a client may send; larger ones close that connection."""
    update_rate: Annotated[float, Field(gt=0, le=20.0)] = 20.0
    """Most ``state_update`` events per second per room."""
    keepalive_seconds: Annotated[float, Field(gt=0)] = 15.0
    """How long an idle HTTP keep-alive connection stays open for its next request."""
    ping_interval: Annotated[float, Field(gt=0)] = 25.0
    """Seconds between Engine.IO pings to each client."""
    ping_timeout: Annotated[float, Field(gt=0)] = 20.0
    """Seconds a client has to answer a ping before it is disconnected."""
    updates_per_cycle: Annotated[int, Field(ge=1)] = 8
    """Rooms in one learning update at most (one batched MLX job on the trainer thread, which
    holds two jobs at a time); rooms whose rollouts fill together beyond this wait for a later
    job, and rooms waiting for their update do not step (their ticks resume on schedule)."""
    turbo_worlds: Annotated[int, Field(ge=1, le=64)] = 16
    """Copies of its world a learning room in turbo trains in at once (vectorised PPO): every
    copy steps each tick on the room's one set of weights and the room learns from all of them;
    its members see the first. 1 trains on the shown world alone."""
    server_name: Annotated[str, Field(min_length=1, max_length=40)] = "default"
    """This process's name among server processes sharing one database (with a message queue):
    each brings back, at start, the rooms it held."""
    checkpoint_seconds: Annotated[float, Field(gt=0)] = 60.0
    """Every room that changed is checkpointed at least this often: a restart after SIGKILL
    loses at most this much of it."""
    checkpoint_replay_seconds: Annotated[float, Field(gt=0)] = 0.6
    """A room is also checkpointed once replaying it from its last checkpoint would take about
    this long (estimated from its ticks and worlds, bench/checkpoint.py), learning rooms at their
    next update (the rollout is then empty, and the checkpoint a fifth of the size): a seek
    replays from the checkpoint before it, so this bounds how long a seek takes."""
    checkpoints_per_cycle: Annotated[int, Field(ge=1)] = 8
    """Rooms checkpointed in one engine cycle at most; rooms due together spread over cycles."""
    engine_warmup: bool = True
    """Build and step one learning room at start, so that MLX compiles before the first room."""
    login_attempts_per_second: Annotated[float, Field(gt=0)] = 1.0
    """Password checks (login and token) per second per client address, on average."""
    login_attempts_burst: Annotated[int, Field(ge=1)] = 30
    """Password checks a client address may make at once before the average applies."""
    login_attempts_per_account_per_second: Annotated[float, Field(gt=0)] = 1.0
    """Password checks (login and token) per second for one account name, from anywhere."""
    login_attempts_per_account_burst: Annotated[int, Field(ge=1)] = 30
    """Password checks one account name may take at once before the average applies."""
    password_checks_at_once: Annotated[int, Field(ge=1)] = 2
    """Password checks (argon2: CPU and memory by design) the server runs at the same time."""
    trusted_proxies: Annotated[int, Field(ge=0)] = 0
    """Reverse proxies in front of the server whose X-Forwarded-For and X-Forwarded-Proto are
    believed (the last this many hops); 0 believes none, so clients cannot forge their address."""
    gil_switch_interval: Annotated[float, Field(gt=0, le=0.1)] | None = 0.0005
    """Python's thread switch interval (``sys.setswitchinterval``), set by ``create_app``: the
    engine thread, the trainer thread and the event loop share the GIL, and a shorter interval
    than Python's 5 ms keeps the engine from delaying sends (bench/RESULTS.md). None keeps
    Python's."""
    gc_full_collection_seconds: Annotated[float, Field(ge=0)] = 60.0
    """While the engine runs, Python's automatic full garbage collections are off and the engine
    runs one every this many seconds (server/engine/collector.py): with hundreds of rooms Python's
    own came every few seconds and stopped every thread each time (bench/RESULTS.md). 0 keeps
    Python's."""
    tensorboard_dir: Path | None = None
    """Log every finished episode of every room to TensorBoard event files here as it ends: one
    subdirectory (one run) per room, ``NAME-ID``, its config as hyper-parameters; read them with
    ``tensorboard --logdir DIR``. Unset: no TensorBoard tracking."""
    mlflow_tracking_uri: str | None = None
    """Log every finished episode of every room to MLflow at this tracking URI (``sqlite:///path/mlflow.db``,
    ``http://host:5000``) as it ends: one run per room in the experiment ``simrooms``, its config
    as params. Needs the optional extra ``simrooms[mlflow]``. Unset: no MLflow tracking."""
    tracking_queue: Annotated[int, Field(ge=1)] = 10_000
    """Finished episodes that may wait for the tracking stores; when a slow store lets more pile
    up, the newest are dropped (``simrooms_tracking_dropped``) rather than slow any room."""
    log_level: str = "INFO"
    """The least severe log records written (DEBUG, INFO, WARNING, ERROR)."""
    fault_room_prefix: CliSuppress[str | None] = None
    """Test hook: rooms whose name starts with this raise from their step at tick
    ``fault_after_ticks`` (exercises ``room_error``). Leave unset in production."""
    fault_after_ticks: CliSuppress[Annotated[int, Field(ge=0)]] = 3
    """Test hook: the steps a fault_room_prefix room takes before its step raises."""

    def listens_beyond_loopback(self) -> bool:
        """What the "unset" of limit_connections and metrics_restricted follows."""
        return self.host not in LOOPBACK_HOSTS

    def connections_limited(self) -> bool:
        if self.limit_connections is not None:
            return self.limit_connections
        return self.listens_beyond_loopback()

    def metrics_need_admin(self) -> bool:
        if self.metrics_restricted is not None:
            return self.metrics_restricted
        return self.listens_beyond_loopback()

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'simrooms.db').resolve()}"

    def resolved_secret_key(self) -> str:
        """The secret key: the setting, else the one kept in the data dir (made on first use)."""
        if self.secret_key:
            return self.secret_key
        self.data_dir.mkdir(parents=True, exist_ok=True)
        path = self.data_dir / SECRET_KEY_FILE
        if path.exists():
            key = path.read_text().strip()
            if key:
                return key
        key = secrets.token_hex(32)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first
            return path.read_text().strip()
        with os.fdopen(fd, "w") as handle:
            handle.write(key + "\n")
        return key
