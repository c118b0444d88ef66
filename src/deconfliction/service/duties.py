"""The line's own duties on a clock: deadlines that pass with nobody acting must still be told.

``deadline_duties`` is what runs every few seconds in the server: acknowledgements due, requests
left unanswered at their reply deadline, and strategic conflicts whose overlap comes near enough
to rise to caution.
"""

from __future__ import annotations

from deconfliction.bus import Periodic
from deconfliction.service.conflicts import escalate_conflicts
from deconfliction.service.conversation.threads import expire_requests
from deconfliction.service.line import Line
from deconfliction.service.notices.receipts import check_deadlines

__all__ = ["Deadlines", "deadline_duties"]


def deadline_duties(line: Line) -> int:
    """Run every deadline check once; the number of escalations raised and conflicts raised to
    caution."""
    return len(check_deadlines(line)) + len(expire_requests(line)) + len(escalate_conflicts(line))


class Deadlines(Periodic):
    """Runs :func:`deadline_duties` every ``interval_s`` seconds while the server runs."""

    def __init__(self, line: Line, interval_s: float = 5.0) -> None:
        super().__init__(interval_s, lambda: deadline_duties(line), "deadlines")
