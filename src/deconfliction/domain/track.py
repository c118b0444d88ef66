"""Tracks: the live state of one asset, as its party reports it, and the minima between domains."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from deconfliction.domain.notice import Audience

__all__ = [
    "DEFAULT_STALE_S",
    "Minima",
    "Minimum",
    "Track",
    "TrackDomain",
    "TrackReport",
]


class TrackDomain(StrEnum):
    AIR = "air"
    GROUND = "ground"
    SEA = "sea"

    @property
    def on_surface(self) -> bool:
        """Ground and sea: a report may omit its height (the asset is on the surface)."""
        return self is not TrackDomain.AIR

    @property
    def code(self) -> int:
        """0 air, 1 ground, 2 sea: the index detection uses in its arrays."""
        return _CODES[self]

    @classmethod
    def of_code(cls, code: int) -> TrackDomain:
        return _DOMAINS[code]


_DOMAINS = (TrackDomain.AIR, TrackDomain.GROUND, TrackDomain.SEA)
_CODES = {d: i for i, d in enumerate(_DOMAINS)}

DEFAULT_STALE_S = {TrackDomain.AIR: 30.0, TrackDomain.GROUND: 120.0, TrackDomain.SEA: 300.0}
"""How long a track stays live after its latest report, when the report does not say."""


@dataclass(frozen=True, slots=True)
class Minimum:
    """Separation between two tracks: horizontal and vertical, metres."""

    h_m: float
    v_m: float


@dataclass(frozen=True, slots=True)
class Minima:
    """Separation minima per pair of domains; ``sea`` counts as a surface domain like ``ground``.

    Air-air defaults to 5 NM / 1,000 ft. Surface units need metres, not miles: two ground units
    100 m apart, an aircraft within 1 NM and 500 ft of a convoy.

    >>> Minima().between(TrackDomain.GROUND, TrackDomain.AIR)
    Minimum(h_m=1852.0, v_m=152.4)
    """

    air_air: Minimum = Minimum(9260.0, 304.8)
    air_ground: Minimum = Minimum(1852.0, 152.4)
    ground_ground: Minimum = Minimum(100.0, 50.0)

    @classmethod
    def uniform(cls, h_m: float, v_m: float) -> Minima:
        """The same minimum between every pair of domains."""
        m = Minimum(h_m, v_m)
        return cls(m, m, m)

    def between(self, a: TrackDomain, b: TrackDomain) -> Minimum:
        airs = (a is TrackDomain.AIR) + (b is TrackDomain.AIR)
        return (self.ground_ground, self.air_ground, self.air_air)[airs]

    def table(self) -> tuple[tuple[Minimum, ...], ...]:
        """``table()[a.code][b.code]``: the minimum for every pair of domain codes."""
        return tuple(tuple(self.between(a, b) for b in _DOMAINS) for a in _DOMAINS)


@dataclass(frozen=True, slots=True)
class TrackReport:
    """One validated report: where one asset of the reporting party was at ``time``, and heading.

    Positions are WGS84 (``alt_m`` above the ellipsoid; ``None`` for a ground or sea asset
    reported without its height: on the surface, its height unknown); ``gs_mps`` ground speed,
    ``trk_deg`` true track over ground (0 north, 90 east), ``vs_mps`` vertical speed (up
    positive); ``alt_unc_m`` how far the true height may lie from ``alt_m`` either way (a
    barometric altitude converted to an ellipsoid height; 0: as reported), which tactical
    detection adds to the vertical minimum.
    ``movement`` names the reporter's own movement notice the asset follows.
    """

    uid: str
    domain: TrackDomain
    lat: float
    lon: float
    alt_m: float | None
    gs_mps: float
    trk_deg: float
    vs_mps: float
    time: datetime
    callsign: str | None = None
    stale_s: float | None = None
    movement: str | None = None
    audience: Audience | None = None
    alt_unc_m: float = 0.0


@dataclass(frozen=True, slots=True)
class Track:
    """The latest state of one asset of ``party``; ``uid`` is unique within the party.

    ``stopped_since`` is when the asset last came to a stop (``None`` while it moves): deviation
    monitoring reports a movement stopped for too long. ``alt_m`` is ``None`` for a surface
    track reported without its height (see ``TrackReport``, and docs/conflicts.md for how
    detection treats it); ``alt_unc_m`` is as the report gave it (``TrackReport``).
    """

    party: str
    uid: str
    domain: TrackDomain
    lat: float
    lon: float
    alt_m: float | None
    gs_mps: float
    trk_deg: float
    vs_mps: float
    time: datetime
    stale_s: float
    audience: Audience
    callsign: str | None = None
    movement: str | None = None
    stopped_since: datetime | None = None
    received_at: datetime | None = None
    alt_unc_m: float = 0.0

    @property
    def key(self) -> str:
        """``party/uid``: names the track on the whole line."""
        return f"{self.party}/{self.uid}"

    def is_live(self, now: datetime) -> bool:
        """Whether the latest report is recent enough to act on."""
        return now - self.time <= timedelta(seconds=self.stale_s)

    def visible_to(self, party: str) -> bool:
        return party == self.party or self.audience.includes(party)
