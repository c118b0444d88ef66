"""Declaring and changing a notice as the front doors do it: the notice's own write, with its
strategic conflicts in the same transaction (``service.notices``), then the agreements it breaks.

A notice declared inside an area its party agreed to keep out of is a breach (a conflict the
running detector follows, ``service.tracks``); found here, it is in the answer to the call that
declared the notice rather than in the next scan. It lives in its own module because the notices
package sits below agreements and the detector, which read notices.
"""

from __future__ import annotations

from dataclasses import replace

from deconfliction.domain import Member
from deconfliction.service.conflicts import track_views
from deconfliction.service.line import Line
from deconfliction.service.notices import DraftSource, NoticeResult
from deconfliction.service.notices import create_notice as _create
from deconfliction.service.notices import update_notice as _update
from deconfliction.service.tracks import breaches_of

__all__ = ["create_notice", "update_notice"]


def _with_breaches(line: Line, actor: Member, result: NoticeResult) -> NoticeResult:
    if not result.committed:  # its party agreed to keep out of nowhere: nothing to breach
        return result
    found = breaches_of(line, result.notice)
    if not found:
        return result
    return replace(result, conflicts=[*result.conflicts, *track_views(line, actor.party, found)])


def create_notice(line: Line, actor: Member, source: DraftSource) -> NoticeResult:
    """Declare a notice: its strategic conflicts and the agreements it breaks, in the answer."""
    return _with_breaches(line, actor, _create(line, actor, source))


def update_notice(
    line: Line, actor: Member, notice_id: str, source: DraftSource, if_match: int | None
) -> NoticeResult:
    """Change a notice: its conflicts carried over or found anew, and the agreements it breaks."""
    return _with_breaches(line, actor, _update(line, actor, notice_id, source, if_match))
