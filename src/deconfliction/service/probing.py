"""Probing bounded and told: a party's budgets of notice changes, spent in the transaction of
each change, and the ``probing.suspected`` told when one party keeps opening conflicts with one
notice it may not see (docs/security.md, "Probing").

Both run inside the write's own transaction, under the write lock: a budget is never spent twice
by two concurrent writers, and the suspicion is committed (and pushed) with the conflict that
raised it, in the seconds of the probe itself.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime

from deconfliction.domain import Event
from deconfliction.domain.probing import Charge, Pool
from deconfliction.errors import BudgetExhausted
from deconfliction.service.line import Line
from deconfliction.service.told import probing_event
from deconfliction.store.base import Tx
from deconfliction.wire import utc_z

__all__ = ["charge", "watch"]

_WHAT = {
    Pool.WRITES: "notice changes (creates, updates and withdrawals, one unit each)",
    Pool.PROBES: "quick and buffer changes",
}


def charge(tx: Tx, line: Line, party: str, cost: Charge, now: datetime) -> None:
    """Spend ``cost`` from ``party``'s budgets, or raise ``BudgetExhausted`` (nothing spent)
    naming the budget and when the change would fit again."""
    budgets = line.budgets
    since = now - budgets.window
    wanted = [(Pool.WRITES, cost.writes), (Pool.PROBES, cost.probes)]
    for pool, units in wanted:
        capacity = budgets.capacity(pool)
        if capacity is None or units == 0:
            continue
        spent = tx.budget_spent(party, pool.value, since)
        used = sum(u for _, u in spent)
        if used + units > capacity:
            raise _exhausted(line, party, pool, units, capacity, spent, now, cost.why)
    spend = [(p, u) for p, u in wanted if u and budgets.capacity(p) is not None]
    if spend:  # what fell out of the window goes as the next spend is written, never otherwise
        tx.forget_budget_spent(since)
    for pool, units in spend:
        tx.spend_budget(party, pool.value, now, units)


def _exhausted(
    line: Line,
    party: str,
    pool: Pool,
    units: int,
    capacity: int,
    spent: list[tuple[datetime, int]],
    now: datetime,
    why: str,
) -> BudgetExhausted:
    window = line.budgets.window
    used = sum(u for _, u in spent)
    ready: datetime | None = None
    freed = 0
    for at, u in spent:  # oldest first: when enough of what was spent has aged out
        freed += u
        if used - freed + units <= capacity:
            ready = at + window
            break
    s = "s" if units != 1 else ""
    cost = f"this change costs {units} unit{s}" + (f" ({why})" if why else "")
    when = "more than the whole budget" if ready is None else f"try again at {utc_z(ready)}"
    retry_s = window.total_seconds() if ready is None else (ready - now).total_seconds()
    return BudgetExhausted(
        f"budget exhausted: party {party!r} has spent {used} of its {capacity} units of "
        f"{_WHAT[pool]} in the last {window.total_seconds() / 3600:g} h; {cost}; {when}",
        retry_after_s=max(1.0, math.ceil(retry_s)),
    )


def watch(
    tx: Tx, line: Line, prober: str, hidden: Iterable[tuple[str, str]], now: datetime
) -> list[Event]:
    """The ``probing.suspected`` events due now that ``prober`` has opened conflicts with each
    of ``hidden`` — (notice id, its party) of notices ``prober`` may not see — in this
    transaction (already inserted)."""
    settings = line.probing
    since = now - settings.window
    out: list[Event] = []
    for notice_id, owner in sorted(set(hidden)):
        told = tx.probing_told_at(prober, notice_id)
        if told is not None and told > since:
            continue  # once per prober and notice per window
        opens = tx.probing_opens(prober, notice_id, since)
        if opens < settings.opens:
            continue
        tx.set_probing_told(prober, notice_id, now)
        out.append(probing_event(line.new_id(), prober, notice_id, owner, opens, since, now))
    return out
