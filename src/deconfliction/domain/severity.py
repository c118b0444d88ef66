"""Alert levels: how urgent a conflict is, so that the urgent is never buried under the routine.

Graded as DAIDALUS grades detect-and-avoid alerts, by the time left before separation is lost:

- tactical and intrusion (a breach by a track too): ``warning`` when separation is lost now or
  within ``warning_s`` (60 s), ``caution`` within ``caution_s`` (180 s), ``advisory`` beyond;
- deviation: ``caution``, ``warning`` when the movement is protected (a convoy the line was told
  must not be harmed has left what it declared);
- strategic: ``advisory``, ``caution`` when a protected notice is involved or the two overlap
  within ``strategic_caution_s`` (1 h); a notice declared inside an area its party agreed to keep
  out of is ``caution``: an agreement is broken.

docs/conflicts.md gives the reasoning. The thresholds are the line's (``serve`` options).
"""

from __future__ import annotations

from dataclasses import dataclass

from deconfliction.domain.conflict import ConflictKind, Severity

__all__ = ["AlertLevels"]


@dataclass(frozen=True, slots=True)
class AlertLevels:
    """The thresholds that grade conflicts (seconds before separation is lost, or before two
    volumes overlap)."""

    warning_s: float = 60.0
    caution_s: float = 180.0
    strategic_caution_s: float = 3600.0

    def __post_init__(self) -> None:
        if not 0.0 <= self.warning_s <= self.caution_s:
            raise ValueError(
                f"the warning threshold ({self.warning_s:g} s) must be between 0 and the "
                f"caution threshold ({self.caution_s:g} s)"
            )
        if self.strategic_caution_s < 0.0:
            raise ValueError("the strategic caution threshold must not be negative")

    def on_tracks(self, kind: ConflictKind, t_in_s: float, protected: bool = False) -> Severity:
        """A conflict on live tracks whose separation is lost in ``t_in_s`` (0 or less: lost);
        ``protected``: a deviation of a protected movement."""
        if kind is ConflictKind.DEVIATION:
            return Severity.WARNING if protected else Severity.CAUTION
        if kind is ConflictKind.STRATEGIC:  # a notice breaching an agreement
            return Severity.CAUTION
        if t_in_s <= self.warning_s:
            return Severity.WARNING
        if t_in_s <= self.caution_s:
            return Severity.CAUTION
        return Severity.ADVISORY

    def strategic(self, protected: bool, starts_in_s: float) -> Severity:
        """A strategic conflict whose overlap starts in ``starts_in_s`` (0 or less: under way);
        ``protected``: either notice is."""
        if protected or starts_in_s <= self.strategic_caution_s:
            return Severity.CAUTION
        return Severity.ADVISORY
