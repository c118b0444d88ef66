"""Notices: declare, change, withdraw and read them, with strategic detection in the write's own
transaction; their receipts and acknowledgement deadlines."""

from deconfliction.service.notices.notices import (
    DraftSource,
    NoticeFilter,
    NoticeResult,
    create_notice,
    footprints_in_force,
    get_notice,
    list_notices,
    update_notice,
    withdraw_notice,
)
from deconfliction.service.notices.receipts import (
    ReceiptsView,
    acknowledge,
    check_deadlines,
    receipts_of,
)
from deconfliction.service.notices.strategic import warm_strategic

__all__ = [
    "DraftSource",
    "NoticeFilter",
    "NoticeResult",
    "footprints_in_force",
    "ReceiptsView",
    "acknowledge",
    "check_deadlines",
    "create_notice",
    "get_notice",
    "list_notices",
    "receipts_of",
    "update_notice",
    "warm_strategic",
    "withdraw_notice",
]
