"""The workload of ``bench/push.py``: who subscribes to what, and the notices that are made.

Subscriber i acts for party i mod P with one of four filters. Notices come from a random party;
the audience is everyone (25 %), one to three other parties (45 %) or nobody (30 %); each window
starts a minute after the previous notice's and lasts 4.5 minutes (so it overlaps the four before
it), and three in four sit on one of two hotspots: about one conflict per notice with 10 parties.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
from rich.progress import Progress

NOTICE_KINDS = "notice.created,notice.updated,notice.withdrawn"
CONFLICT_KINDS = "conflict.opened,conflict.updated,conflict.closed"
STEP_S = 60  # each notice's window starts a minute after the previous one's
SPAN_S = 270  # and lasts 4.5 minutes: it overlaps the four notices before it
HOTSPOTS = ((36.0, 33.0), (44.0, 38.0))
P_HOT = 0.75


@dataclass(frozen=True)
class Sub:
    party: str
    kinds: str | None = None
    parties: str | None = None

    def wants(self, kind: str, by: str) -> bool:
        if self.kinds is not None and kind not in self.kinds.split(","):
            return False
        return self.parties is None or by in self.parties.split(",")


def slug(p: int) -> str:
    return f"p{p:02d}"


def subscriptions(n: int, parties: int) -> list[Sub]:
    """Subscriber i acts for party i mod P; by i // P: 40 % everything, 30 % conflicts only,
    20 % notices only, 10 % the changes of the next two parties only."""
    out = []
    for i in range(n):
        p, mix = i % parties, (i // parties) % 10
        party = slug(p)
        if mix < 4:
            out.append(Sub(party))
        elif mix < 7:
            out.append(Sub(party, kinds=CONFLICT_KINDS))
        elif mix < 9:
            out.append(Sub(party, kinds=NOTICE_KINDS))
        else:
            others = f"{slug((p + 1) % parties)},{slug((p + 2) % parties)}"
            out.append(Sub(party, parties=others))
    return out


@dataclass
class Generated:
    """What the generator sent and the line answered: who may receive each event's subject."""

    notices: dict[str, tuple[str, frozenset[str] | None]] = field(default_factory=dict)
    """notice id -> (party, audience parties or None for everyone)"""
    conflicts: dict[str, frozenset[str]] = field(default_factory=dict)
    """conflict id -> its two parties"""
    events: int = 0
    started: float = 0.0
    ended: float = 0.0
    errors: Counter[str] = field(default_factory=Counter)
    post_s: list[float] = field(default_factory=list)
    """round trip of each accepted POST /v1/notices"""
    fatal: str = ""


def _z(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def notice_body(i: int, rng: random.Random, parties: int, author: int, t0: datetime) -> Any:
    if rng.random() < P_HOT:
        lon, lat = HOTSPOTS[rng.randrange(len(HOTSPOTS))]
        lon, lat = lon + rng.uniform(-0.01, 0.01), lat + rng.uniform(-0.01, 0.01)
    else:  # somewhere nobody else is
        lon, lat = rng.uniform(-170, 170), rng.uniform(-60, 60)
    roll = rng.random()
    others = [slug(p) for p in range(parties) if p != author]
    audience: Any = (
        "all" if roll < 0.25 else rng.sample(others, rng.randint(1, 3)) if roll < 0.7 else []
    )
    start = t0 + timedelta(seconds=i * STEP_S)
    return {
        "kind": "operation",
        "title": f"bench {i}",
        "audience": audience,
        "volumes": [
            {
                "footprint": {"type": "Point", "coordinates": [lon, lat]},
                "radius_m": 5_000.0,
                "time": {"start": _z(start), "end": _z(start + timedelta(seconds=SPAN_S))},
            }
        ],
    }


async def generate(
    base: str | Sequence[str], tokens: dict[str, str], rate: float, seconds: float,
    connections: int, seed: int, progress: Progress,
) -> Generated:  # fmt: skip
    """Create notices so that they and their conflicts come to ``rate`` events/s; with several
    ``base`` URLs (nodes of one line), notice i goes to base i mod their number."""
    bases = [base] if isinstance(base, str) else list(base)
    rng = random.Random(seed)
    parties = len(tokens)
    headers = {
        s: {"Authorization": f"Bearer {t}", "Content-Type": "application/json"}
        for s, t in tokens.items()
    }
    t0 = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    out = Generated()
    per_notice = [2.0]  # running mean of events per notice, before any answer a guess
    inflight = 0
    task = progress.add_task("events committed", total=int(rate * seconds), rate="")
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(limits=limits, timeout=60) as client:

        async def create(i: int) -> None:
            nonlocal inflight
            author = rng.randrange(parties)
            body = notice_body(i, rng, parties, author, t0)
            try:
                sent = time.perf_counter()
                r = await client.post(f"{bases[i % len(bases)]}/v1/notices",
                                      content=orjson.dumps(body),
                                      headers=headers[slug(author)])  # fmt: skip
            except httpx.HTTPError as e:
                out.errors[type(e).__name__] += 1
                return
            finally:
                inflight -= 1
            if r.status_code != 201:
                out.errors[f"HTTP {r.status_code}"] += 1
                if out.errors.total() > 100 and not out.notices:
                    out.fatal = f"the line refuses the notices: {r.text[:400]}"
                return
            out.post_s.append(time.perf_counter() - sent)
            answer = orjson.loads(r.content)
            n = answer["notice"]
            aud = None if n["audience"] == "all" else frozenset(n["audience"])
            out.notices[n["id"]] = (n["party"], aud)
            for c in answer["conflicts"]:
                out.conflicts[c["id"]] = frozenset({n["party"], c["other"]["party"]})
            out.events += 1 + len(answer["conflicts"])
            per_notice[0] = out.events / len(out.notices)

        pending: set[asyncio.Task[None]] = set()
        out.started = shown = time.time()
        i = 0
        while (now := time.time()) < out.started + seconds:
            due = rate * (now - out.started)
            if inflight < connections and out.events + inflight * per_notice[0] < due:
                inflight += 1
                t = asyncio.create_task(create(i))
                pending.add(t)
                t.add_done_callback(pending.discard)
                i += 1
            else:
                await asyncio.sleep(0.001)
            if now - shown > 0.2:
                shown = now
                rate_now = out.events / max(now - out.started, 1e-9)
                progress.update(task, completed=out.events, rate=f"{rate_now:,.0f}/s")
            if out.fatal:
                raise RuntimeError(out.fatal)
        if pending:
            await asyncio.wait(pending)
        out.ended = time.time()
        progress.update(task, completed=out.events)
    return out


def warm_up(base: str, tokens: dict[str, str], n: int = 50) -> None:
    """Private notices far from the hotspots, so that the server's first requests (imports,
    caches) are not timed; subscribers start after them."""
    rng = random.Random(0)
    t0 = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    slugs = sorted(tokens)
    with httpx.Client(base_url=base, timeout=60) as client:
        for i in range(n):
            body = notice_body(i, rng, len(slugs), 0, t0)
            body["audience"] = []
            body["volumes"][0]["footprint"]["coordinates"] = [-150.0 + i, -70.0]
            who = {"Authorization": f"Bearer {tokens[slugs[i % len(slugs)]]}"}
            client.post("/v1/notices", json=body, headers=who).raise_for_status()
