"""What the running detector looks for: how far ahead, the minima between domains, and when a
convoy has left its own movement notice."""

from __future__ import annotations

from dataclasses import dataclass, field

from deconfliction.detect.conformance import Conformance
from deconfliction.domain import Minima, Retell

__all__ = ["ScanSettings"]


@dataclass(frozen=True)
class ScanSettings:
    """What the running detector looks for: lookahead, minima between domains, conformance."""

    lookahead_s: float = 300.0
    minima: Minima = field(default_factory=Minima)
    conformance: Conformance = field(default_factory=Conformance)
    retell: Retell = field(default_factory=Retell)
    """When a continuing encounter is told again (``domain.conflict.Retell``)."""
