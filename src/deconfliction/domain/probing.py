"""Probing: how much a party may learn of notices it may not see, and when the line says so.

Every write of a notice answers, for each hidden notice near it, one yes-or-no question (does it
conflict?). The rules here bound and coarsen those answers (docs/security.md, "Probing"):

- ``Budgets``: what one party's writes cost, and how much of each kind it may spend in any 24 h;
- ``coarsened``: the window a party is told of a conflict with a notice it may not see, widened
  to quarter hours (``QUARTER``), so one long notice no longer reads a hidden window exactly;
- ``ProbingWatch``: how many conflicts one party may open with one hidden notice in a window
  before the notice's party and the host are told (``probing.suspected``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from deconfliction.domain.notice import Notice
from deconfliction.domain.volume import Buffers, TimeWindow

__all__ = [
    "NO_BUDGETS",
    "QUARTER",
    "Budgets",
    "Charge",
    "Pool",
    "ProbingWatch",
    "coarsened",
    "quarter_ceil",
    "quarter_floor",
]

QUARTER = timedelta(minutes=15)
"""What a window told past need-to-know is rounded out to."""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def quarter_floor(t: datetime) -> datetime:
    """The quarter hour (UTC) at or before ``t``.

    >>> quarter_floor(datetime(2026, 12, 6, 8, 44, 59, tzinfo=UTC)).isoformat()
    '2026-12-06T08:30:00+00:00'
    """
    return t - (t - _EPOCH) % QUARTER


def quarter_ceil(t: datetime) -> datetime:
    """The quarter hour (UTC) at or after ``t``.

    >>> quarter_ceil(datetime(2026, 12, 6, 8, 30, 0, 1, tzinfo=UTC)).isoformat()
    '2026-12-06T08:45:00+00:00'
    >>> quarter_ceil(datetime(2026, 12, 6, 8, 30, tzinfo=UTC)).isoformat()
    '2026-12-06T08:30:00+00:00'
    """
    floor = quarter_floor(t)
    return floor if floor == t else floor + QUARTER


def coarsened(window: TimeWindow) -> TimeWindow:
    """``window`` widened outward to quarter hours: its start floored, its end ceiled. It still
    holds the whole overlap, so a party planning around it is never told too little."""
    return TimeWindow(quarter_floor(window.start), quarter_ceil(window.end))


class Pool(StrEnum):
    """The budgets a party spends from."""

    WRITES = "writes"
    """Every create, update and withdrawal of a notice."""
    PROBES = "probes"
    """What a prober needs and a planner rarely does: a notice changed or withdrawn soon after
    its last version, or its buffers changed."""


@dataclass(frozen=True, slots=True)
class Charge:
    """What one write costs, in units of each pool, and why (said in a refusal)."""

    writes: int = 1
    probes: int = 0
    why: str = ""


@dataclass(frozen=True, slots=True)
class Budgets:
    """How much of each pool one party may spend in any ``window_s`` (24 h, sliding).

    ``None`` turns a pool off. The numbers and their reasons: docs/security.md, "Probing".
    """

    writes: int | None = 1_000
    """Creates, updates and withdrawals: one unit each. A busy coordinator's day (a few hundred
    notices, as many changes) fits; a flood does not."""
    probes: int | None = 60
    """Quick changes and buffer changes: twelve a day at 5 units."""
    quick_s: float = 600.0
    """A change or withdrawal this soon after the notice's last version is quick."""
    quick_cost: int = 5
    buffers_cost: int = 5
    window_s: float = 86_400.0

    def __post_init__(self) -> None:
        for name in ("writes", "probes"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise ValueError(f"the {name} budget must not be negative")
        if self.quick_s < 0 or self.window_s <= 0:
            raise ValueError("budget windows must be positive")

    @property
    def window(self) -> timedelta:
        return timedelta(seconds=self.window_s)

    def capacity(self, pool: Pool) -> int | None:
        return self.writes if pool is Pool.WRITES else self.probes

    def create(self) -> Charge:
        """A new notice: one write."""
        return Charge()

    def change(self, current: Notice, now: datetime, buffers: Buffers | None) -> Charge:
        """Replacing ``current`` with a version asking for ``buffers``."""
        quick = self._quick(current, now)
        moved = buffers != current.buffers
        said = (
            (self._quick_words("changed"), quick),
            (f"a change of a notice's buffers costs {self.buffers_cost} units", moved),
        )
        why = [words for words, hit in said if hit]
        probes = (self.quick_cost if quick else 0) + (self.buffers_cost if moved else 0)
        return Charge(1, probes, "; ".join(why))

    def withdrawal(self, current: Notice, now: datetime) -> Charge:
        """Withdrawing ``current``."""
        if self._quick(current, now):
            return Charge(1, self.quick_cost, self._quick_words("withdrawn"))
        return Charge()

    def _quick(self, current: Notice, now: datetime) -> bool:
        return (now - current.updated_at).total_seconds() < self.quick_s

    def _quick_words(self, verb: str) -> str:
        return (
            f"a notice {verb} within {self.quick_s / 60:g} min of its last version costs "
            f"{self.quick_cost} units"
        )


@dataclass(frozen=True, slots=True)
class ProbingWatch:
    """When repeated conflicts with one hidden notice are told as ``probing.suspected``: at the
    ``opens``-th conflict one party's notices and tracks open with it within ``window_s``, and
    then not again for that party and notice within ``window_s``."""

    opens: int = 4
    window_s: float = 86_400.0

    def __post_init__(self) -> None:
        if self.opens < 1 or self.window_s <= 0:
            raise ValueError("probing.suspected needs at least one open within a positive window")

    @property
    def window(self) -> timedelta:
        return timedelta(seconds=self.window_s)


NO_BUDGETS = Budgets(writes=None, probes=None)
"""Every pool off: for a line of parties that trust each other (``serve --no-budgets``), and for
benchmarks that measure the line's speed rather than its budgets."""
