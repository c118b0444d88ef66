"""Use cases: one function per user action, each owning its transaction.

Every front door (HTTP API, CLI, and later CoT) calls these functions; none repeats a rule.
"""

from deconfliction.service.admin import create_member, create_party, list_parties
from deconfliction.service.auth import authenticate, hash_token, new_token
from deconfliction.service.conflicts import ConflictView, get_conflict, list_conflicts
from deconfliction.service.conversation import (
    ThreadView,
    expire_requests,
    get_thread,
    list_threads,
    open_thread,
    post_message,
)
from deconfliction.service.line import Line, open_line
from deconfliction.service.notices import (
    NoticeDraft,
    NoticeFilter,
    NoticeResult,
    create_notice,
    get_notice,
    list_notices,
    require_writer,
    update_notice,
    withdraw_notice,
)
from deconfliction.service.scan import Scanner, ScanResult, ScanSettings, require_scanner, scan
from deconfliction.service.tracks import (
    ReportResult,
    TrackFilter,
    list_tracks,
    report_tracks,
)

__all__ = [
    "ConflictView",
    "Line",
    "NoticeDraft",
    "NoticeFilter",
    "NoticeResult",
    "ReportResult",
    "ScanResult",
    "ScanSettings",
    "Scanner",
    "ThreadView",
    "TrackFilter",
    "authenticate",
    "create_member",
    "create_notice",
    "create_party",
    "expire_requests",
    "get_conflict",
    "get_notice",
    "get_thread",
    "hash_token",
    "list_conflicts",
    "list_notices",
    "list_parties",
    "list_threads",
    "list_tracks",
    "new_token",
    "open_line",
    "open_thread",
    "post_message",
    "report_tracks",
    "require_scanner",
    "require_writer",
    "scan",
    "update_notice",
    "withdraw_notice",
]
