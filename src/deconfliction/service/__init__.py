"""Use cases: one function per user action, each owning its transaction.

This module is the one door every front door (HTTP API, CLI, demo, and later CoT) uses; none
repeats a rule. Capabilities live in packages (``notices``, ``tracks``, ``conversation``,
``record``, ``parties``, ``events``); ``line`` is the context they share.
"""

from deconfliction.config import LineConfig
from deconfliction.detect.settings import ScanSettings
from deconfliction.domain import NoticeDraft
from deconfliction.service.atrest import Backup, LooseFile, backup, loose_files
from deconfliction.service.conflicts import (
    acknowledge_conflict,
    escalate_conflicts,
    get_conflict,
    list_conflicts,
)
from deconfliction.service.conversation import (
    ThreadView,
    acknowledge_message,
    expire_requests,
    get_thread,
    list_threads,
    message_receipts_of,
    open_thread,
    post_message,
)
from deconfliction.service.declare import create_notice, update_notice
from deconfliction.service.deliveries import delivered_from_events
from deconfliction.service.duties import Deadlines, deadline_duties
from deconfliction.service.events import (
    Received,
    Subscription,
    events_for,
    last_event_seq,
    received,
)
from deconfliction.service.feeds import (
    FeedView,
    add_feed,
    feed_report,
    list_feeds,
    remove_feed,
    running_feeds,
)
from deconfliction.service.health import LogState, log_state, store_ready
from deconfliction.service.line import Line, open_line
from deconfliction.service.meter import Meter, Meters
from deconfliction.service.nodes import BridgeStats, NodeLink, link_nodes
from deconfliction.service.notices import (
    DraftSource,
    NoticeFilter,
    NoticeResult,
    ReceiptsView,
    acknowledge,
    footprints_in_force,
    get_notice,
    list_notices,
    receipts_of,
    withdraw_notice,
)
from deconfliction.service.parties import (
    authenticate,
    authenticate_ticket,
    create_member,
    create_party,
    current_members,
    get_member,
    hash_token,
    issue_stream_ticket,
    list_members,
    list_parties,
    member_key,
    new_token,
    register_key,
    require_host_admin,
    revoke_member,
    rotate_token,
)
from deconfliction.service.places import Place, conflict_places
from deconfliction.service.record import (
    NO_CHECKPOINT,
    Recorder,
    Verification,
    advance,
    b64,
    consistency,
    entries_for,
    evidence_bundle,
    inclusion,
    latest_checkpoint,
    verify_store,
)
from deconfliction.service.tracks import (
    ReportResult,
    Scanner,
    ScanResult,
    TrackFilter,
    list_tracks,
    report_tracks,
    require_scanner,
    scan,
)
from deconfliction.store.values import ConflictQuery

__all__ = [
    "NO_CHECKPOINT",
    "Backup",
    "LooseFile",
    "backup",
    "loose_files",
    "ConflictQuery",
    "BridgeStats",
    "Deadlines",
    "DraftSource",
    "Line",
    "LineConfig",
    "NoticeDraft",
    "NoticeFilter",
    "NoticeResult",
    "Place",
    "ReceiptsView",
    "Received",
    "NodeLink",
    "Recorder",
    "ReportResult",
    "ScanResult",
    "ScanSettings",
    "Scanner",
    "Subscription",
    "ThreadView",
    "TrackFilter",
    "Verification",
    "acknowledge",
    "acknowledge_message",
    "advance",
    "authenticate",
    "authenticate_ticket",
    "issue_stream_ticket",
    "conflict_places",
    "b64",
    "consistency",
    "create_member",
    "create_notice",
    "create_party",
    "current_members",
    "get_member",
    "deadline_duties",
    "delivered_from_events",
    "entries_for",
    "evidence_bundle",
    "events_for",
    "last_event_seq",
    "link_nodes",
    "expire_requests",
    "get_conflict",
    "acknowledge_conflict",
    "escalate_conflicts",
    "get_notice",
    "get_thread",
    "hash_token",
    "inclusion",
    "latest_checkpoint",
    "list_conflicts",
    "list_notices",
    "footprints_in_force",
    "list_members",
    "list_parties",
    "list_threads",
    "list_tracks",
    "member_key",
    "message_receipts_of",
    "new_token",
    "open_line",
    "open_thread",
    "post_message",
    "receipts_of",
    "received",
    "register_key",
    "report_tracks",
    "require_host_admin",
    "require_scanner",
    "revoke_member",
    "rotate_token",
    "scan",
    "update_notice",
    "verify_store",
    "withdraw_notice",
    # feeds: a party's standing connections to outside sources of tracks
    "FeedView",
    "add_feed",
    "feed_report",
    "list_feeds",
    "remove_feed",
    "running_feeds",
    # operations: what /readyz and /metrics read of the line
    "LogState",
    "Meter",
    "Meters",
    "log_state",
    "store_ready",
]
