"""The line's configuration: one object, read once at the front door (flags, environment) and
handed down; nothing below the front doors reads the environment.

``LineConfig`` is what a line is opened and served with; ``Environment`` is what the process
environment says, read once by the CLI (``Environment.read()``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from deconfliction.detect.settings import ScanSettings
from deconfliction.domain import AlertLevels, Buffers
from deconfliction.domain.limits import MAX_BODY_BYTES
from deconfliction.domain.probing import Budgets, ProbingWatch

__all__ = [
    "DEFAULT_DB_URL",
    "NO_RATES",
    "ConsoleConfig",
    "Environment",
    "LineConfig",
    "Limits",
    "TakConfig",
    "key_path_for",
    "tak_ca_path_for",
]

DEFAULT_DB_URL = "sqlite:///deconfliction.db"
"""The embedded SQLite file in the working directory."""


@dataclass(frozen=True)
class Environment:
    """The ``DECONFLICTION_*`` variables (and ``XDG_DATA_HOME``), as the process was given them."""

    db: str | None = None
    key: str | None = None
    url: str | None = None
    token: str | None = field(default=None, repr=False)
    config: str | None = None
    state: str | None = None
    member_key: str | None = None
    data_home: str | None = None
    nats: str | None = None
    """``DECONFLICTION_NATS``: the NATS server nodes tell each other of new events through."""
    sqlite_sync: str | None = None
    """``DECONFLICTION_SQLITE_SYNC``: SQLite's ``synchronous`` (``full`` or ``normal``)."""

    @classmethod
    def read(cls, environ: Mapping[str, str] | None = None) -> Environment:
        env = os.environ if environ is None else environ
        return cls(
            db=env.get("DECONFLICTION_DB") or None,
            key=env.get("DECONFLICTION_KEY") or None,
            url=env.get("DECONFLICTION_URL") or None,
            token=env.get("DECONFLICTION_TOKEN") or None,
            config=env.get("DECONFLICTION_CONFIG") or None,
            state=env.get("DECONFLICTION_STATE") or None,
            member_key=env.get("DECONFLICTION_MEMBER_KEY") or None,
            data_home=env.get("XDG_DATA_HOME") or None,
            nats=env.get("DECONFLICTION_NATS") or None,
            sqlite_sync=env.get("DECONFLICTION_SQLITE_SYNC") or None,
        )

    def db_url(self, given: str | None = None) -> str:
        """The database: as given (``--db``), else ``$DECONFLICTION_DB``, else the default."""
        return given or self.db or DEFAULT_DB_URL


def key_path_for(url: str, named: str | None = None) -> Path | None:
    """Where a line keeps its signing key: ``named`` (``$DECONFLICTION_KEY``); else beside an
    SQLite file (``line.db`` -> ``line.key``); else ``deconfliction.key`` here. ``None`` for an
    in-memory database, whose record dies with it."""
    if named:
        return Path(named)
    parsed = sa.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database in (None, "", ":memory:"):
            return None
        return Path(parsed.database).with_suffix(".key")
    return Path("deconfliction.key")


def tak_ca_path_for(key_path: Path | None) -> Path | None:
    """Where a line keeps its TAK certificate authority (certificate and key, owner-only):
    beside its signing key (``line.key`` -> ``line.tak-ca.pem``); ``None`` with no key file."""
    return None if key_path is None else key_path.with_name(key_path.stem + ".tak-ca.pem")


@dataclass(frozen=True)
class TakConfig:
    """The TAK front door (``feeds.tak``, docs/interop.md): a TLS listener for members'
    certificates and a plain one for one trusted gateway member; ``None`` ports stay shut."""

    host: str = "0.0.0.0"
    """Where the TLS listener binds (phones reach it over the network)."""
    tls_port: int | None = None
    port: int | None = None
    """The plain listener, tied to ``gateway_member``; it binds ``gateway_host``."""
    gateway_host: str = "127.0.0.1"
    gateway_member: str | None = None
    ca_path: Path | None = None
    """The line's TAK CA (default: :func:`tak_ca_path_for` the signing key)."""
    server_names: tuple[str, ...] = ()
    """Extra host names or addresses the server certificate names (with this machine's)."""
    idle_s: float = 300.0
    """A connection that sends nothing (not even a ping) this long is closed."""
    event_s: float = 10.0
    """Longest one event may take to arrive once begun (a slow or half event is closed)."""
    rate: float | None = 50.0
    """Events per second one connection may send on average, with ``burst`` at once."""
    burst: int = 200
    per_member: int = 8
    """Open connections one member may hold."""
    per_address: int = 64
    """Open connections one client address may hold, counted once its TLS handshake is done
    (a handshake is bounded by 10 s)."""
    connections: int = 10_000
    """Connections the TAK listeners hold in all, counted as ``per_address`` is."""
    aoi_radius_m: float = 100_000.0
    """A member sees others' tracks within this of its own last reported positions."""
    tick_s: float = 0.5
    """How often, at most, tracks are sent out (events are sent as they come)."""
    share: str | tuple[str, ...] | None = None
    """The audience of tracks reported over TAK, as ``POST /v1/tracks`` takes it (``"all"``,
    or party slugs joined by commas); ``None``: the reporting party's own, as over HTTP. Others
    are told the conflicts either way; sharing positions is the parties' agreement to make."""


@dataclass(frozen=True)
class ConsoleConfig:
    """The console's detailed map beside its built-in basemap: an operator's raster tiles, as a
    URL template (``https://tiles.example/{z}/{x}/{y}.png``) or a local PMTiles file the line
    serves itself; ``attribution`` is shown on the map for them."""

    tiles: str | None = None
    pmtiles: Path | None = None
    attribution: str = ""


@dataclass(frozen=True)
class Limits:
    """How much the line takes, from whom, and how long it waits (docs/security.md).

    Rates are the ``limits`` library's strings (``"600/minute"``, ``"10/second"``); ``None``
    turns that one off. ``member`` and ``party`` count requests once the token is known;
    ``anonymous`` counts, per client address, requests whose token was missing or refused;
    ``upload`` counts KiB of request bodies per party. The rest bound the server itself.
    """

    member: str | None = "600/minute"
    party: str | None = "3000/minute"
    anonymous: str | None = "60/minute"
    upload: str | None = "16384/minute"
    """KiB of request bodies one party may send: 16 MiB a minute."""
    heavy_bytes: int = 256 * 1024
    """A body this large is heavy work (a big geometry, a big batch of tracks)."""
    heavy_at_once: int | None = 1
    """Heavy requests the line works on at once; more wait their turn."""
    heavy_wait_s: float = 60.0
    """How long a heavy request waits for its turn before a 503."""
    body_timeout_s: float | None = 60.0
    """Longest a client may take to send a whole request body (408 after)."""
    header_timeout_s: float | None = 10.0
    """Longest a client may take to send a request's headers (the connection is closed)."""
    max_header_bytes: int = 64 * 1024
    keep_alive_s: int = 5
    """An idle keep-alive connection is closed after this."""
    connections_per_client: int | None = 128
    """Open connections one client address may hold (WebSockets included)."""
    connections: int | None = 2048
    """Connections the server holds in all; past them it answers 503."""


NO_RATES = Limits(member=None, party=None, anonymous=None, upload=None)
"""The server's bounds, and no rate limits: what an app made for a test has unless it asks."""


@dataclass(frozen=True)
class LineConfig:
    """What a line is opened and served with. ``None`` intervals: that duty does not run."""

    db_url: str = DEFAULT_DB_URL
    sqlite_sync: str = "full"
    """SQLite's ``synchronous``: ``"full"`` (the default) syncs the WAL before a commit returns,
    so an acknowledged write survives a power cut; ``"normal"`` is faster and survives a crash of
    the process only (a power cut may roll back writes already acknowledged)."""
    key_path: Path | None = None
    """The record's signing key (default: :func:`key_path_for` the database)."""
    name: str | None = None
    """The line's name, fixed when its key is made."""
    buffers: Buffers = field(default_factory=Buffers)
    alerts: AlertLevels = field(default_factory=AlertLevels)
    budgets: Budgets = field(default_factory=Budgets)
    """What each party may spend on changing its notices in any 24 h (docs/security.md)."""
    probing: ProbingWatch = field(default_factory=ProbingWatch)
    scan: ScanSettings = field(default_factory=ScanSettings)
    scan_interval_s: float | None = 1.0
    deadline_interval_s: float | None = 5.0
    record_interval_s: float | None = 2.0
    max_body_bytes: int = MAX_BODY_BYTES
    host: str = "127.0.0.1"
    port: int = 8470
    limits: Limits = field(default_factory=Limits)
    tls_cert: Path | None = None
    """Serve HTTPS (and WSS) with this certificate chain (PEM) and ``tls_key``."""
    tls_key: Path | None = None
    console: ConsoleConfig = field(default_factory=ConsoleConfig)
    tak: TakConfig = field(default_factory=TakConfig)
    """The TAK listeners (shut unless a port is given)."""

    feeds: bool = True
    """Run the line's stored feeds (ADS-B, AIS) inside ``serve`` (``--no-feeds``: not)."""
    feed_poll_s: float = 3.0
    """How often ``serve`` looks for feeds added or removed, seconds."""
    nats_url: str | None = None
    """The NATS server (``nats://host:4222``) through which nodes serving one PostgreSQL
    database tell each other of new events (``bus.bridge``); ``None``: one process alone."""
    warm_outlines: bool = True
    """At start, make the outlines of the notices in force, which the console asks for as
    GeoJSON at sign-in (densifying circles and corridors on the ellipsoid costs ~1 ms each)."""
    metrics_token: str | None = field(default=None, repr=False)
    """The scrape token: ``/metrics`` answers a request bearing it, and nobody else (no member,
    not the host's admin); ``None``: nobody (docs/security.md, "Operations")."""
    ready_timeout_s: float = 2.0
    """``/readyz``: how long the store may take to answer its trivial query."""

    @property
    def signing_key_path(self) -> Path | None:
        return self.key_path or key_path_for(self.db_url)

    @property
    def tak_ca_path(self) -> Path | None:
        return self.tak.ca_path or tak_ca_path_for(self.signing_key_path)
