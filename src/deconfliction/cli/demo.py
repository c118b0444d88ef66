"""``deconfliction demo``: load the seed scenario, print tokens and commands to try, maybe serve.

The scenario file speaks the API's own notice format, so it goes through the same conversion
and the same use cases as a coordinator's POST.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from deconfliction import service
from deconfliction.api.convert import draft_from
from deconfliction.api.schemas import NoticeIn
from deconfliction.demo.feed import Feed, assets_from
from deconfliction.domain import Member, Role

__all__ = ["Loaded", "demo", "load_scenario"]

DEMO_DB = "deconfliction-demo.db"


def _absolute_times(volume: dict[str, Any], base: datetime) -> dict[str, Any]:
    t = volume["time"]
    return {
        **volume,
        "time": {
            "start": (base + timedelta(hours=t["start_h"])).isoformat(),
            "end": (base + timedelta(hours=t["end_h"])).isoformat(),
        },
    }


@dataclass(frozen=True)
class Loaded:
    """What the scenario put on the line: a coordinator (and token) per party, its assets."""

    tokens: dict[str, str]
    members: dict[str, Member]
    feed: Feed
    notice_ids: list[str]


def load_scenario(line: service.Line) -> Loaded:
    """Load the scenario's parties and notices into ``line``, and report its assets once."""
    scenario = json.loads(
        resources.files("deconfliction.demo").joinpath("scenario.json").read_text()
    )
    now = line.clock()
    base = now.replace(minute=0, second=0, microsecond=0)
    tokens: dict[str, str] = {}
    members = {}
    for p in scenario["parties"]:
        service.create_party(line, p["slug"], p["name"])
        member, tokens[p["slug"]] = service.create_member(line, p["slug"], Role.COORDINATOR, "demo")
        members[p["slug"]] = member
    notice_ids = []
    for n in scenario["notices"]:
        body = {k: v for k, v in n.items() if k != "party"}
        body["volumes"] = [_absolute_times(v, base) for v in n["volumes"]]
        made = service.create_notice(
            line, members[n["party"]], draft_from(NoticeIn.model_validate(body))
        )
        notice_ids.append(made.notice.id)
    for t in scenario.get("threads", []):
        _converse(line, members, t, base, now)
    for a in scenario.get("acknowledgements", []):
        _acknowledge(line, members[a["party"]], notice_ids[a["notice"]], a["signed"])
    for a in scenario.get("conflicts_acknowledged", []):
        member = members[a["party"]]
        for c in service.list_conflicts(line, member, live_only=True, limit=1000).items:
            if c.mine is not None and c.mine.notice == notice_ids[a["notice"]]:
                service.acknowledge_conflict(line, member, c.id)
    feed = Feed(line, assets_from(scenario["tracks"], notice_ids, now), members)
    feed.report_once()
    return Loaded(tokens, members, feed, notice_ids)


def _acknowledge(line: service.Line, member: Member, notice_id: str, signed: bool) -> None:
    """A party acknowledges version 1 of a notice; signed, with a member key made for the demo
    and registered first (a real member keeps its key in ``deconfliction key new``'s file)."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from deconfliction.record import statement

    signature = None
    if signed:
        key = Ed25519PrivateKey.generate()
        service.register_key(
            line, member, base64.b64encode(key.public_key().public_bytes_raw()).decode()
        )
        said = statement.ack_notice(line.origin, notice_id, 1)
        signature = base64.b64encode(key.sign(said)).decode()
    service.acknowledge(line, member, notice_id, 1, signature)


def _converse(
    line: service.Line, members: dict[str, Member], t: dict[str, Any], base: datetime, now: datetime
) -> None:
    """A thread of the scenario: a request and its reply (an accepted one is an agreement)."""
    from deconfliction.api.conversation import MessageIn, draft_of

    ask = t["request"]
    thread = service.open_thread(line, members[ask["from"]], [ask["to"]], t["subject"])
    body = {
        "kind": "request",
        "request": ask["request"],
        "to": ask["to"],
        "text": ask["text"],
        "volume": _absolute_times(ask["volume"], base),
        "deadline": (now + timedelta(minutes=ask["deadline_min"])).isoformat(),
    }
    request = service.post_message(
        line, members[ask["from"]], thread.id, draft_of(MessageIn.model_validate(body))
    )
    reply = {"kind": "reply", "in_reply_to": request.id, **t["reply"]}
    service.post_message(
        line, members[ask["to"]], thread.id, draft_of(MessageIn.model_validate(reply))
    )


def demo(
    db: Annotated[str, typer.Option(help="database URL for the demo")] = f"sqlite:///{DEMO_DB}",
    serve: Annotated[bool, typer.Option("--serve", help="serve the API after loading")] = False,
    host: Annotated[str, typer.Option(help="address to listen on with --serve")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port with --serve")] = 8470,
) -> None:
    """Load the demo scenario (three parties around Deir ez-Zor) into a fresh database."""
    if db == f"sqlite:///{DEMO_DB}":
        for suffix in ("", "-wal", "-shm"):
            Path(DEMO_DB + suffix).unlink(missing_ok=True)
    line = service.open_line(db)
    loaded = load_scenario(line)
    tokens = loaded.tokens
    console = Console()
    table = Table("party", "coordinator token", title="Demo line loaded")
    for slug, token in tokens.items():
        table.add_row(slug, token)
    console.print(table)
    base = f"http://{host}:{port}"
    un = tokens["un-ocha"]
    console.print("Try, once the server is up:")
    console.print(f"  curl -s -H 'Authorization: Bearer {un}' {base}/v1/conflicts", soft_wrap=True)
    console.print(
        f"  curl -s -H 'Authorization: Bearer {tokens['coalition']}' "
        f"'{base}/v1/notices?bbox=39.9,35.2,40.5,35.6'",
        soft_wrap=True,
    )
    console.print(
        f"  curl -s -H 'Authorization: Bearer {tokens['coalition']}' {base}/v1/tracks",
        soft_wrap=True,
    )
    coalition = f"DECONFLICTION_URL={base} DECONFLICTION_TOKEN={tokens['coalition']}"
    console.print(
        f"  {coalition} deconfliction conflicts --live   # most urgent first; then conflict ack ID",
        soft_wrap=True,
    )
    console.print(
        f"  {coalition} deconfliction watch   # every change, as it happens", soft_wrap=True
    )
    console.print(
        f"  DECONFLICTION_URL={base} DECONFLICTION_TOKEN={un} deconfliction record sync",
        soft_wrap=True,
    )
    console.print(
        f"  DECONFLICTION_URL={base} DECONFLICTION_TOKEN={un} deconfliction record evidence "
        f"--notice {loaded.notice_ids[2]}   # the convoy: versions, receipts, signatures",
        soft_wrap=True,
    )
    console.print(f"The record is signed by {line.signer.verifier().vkey()}", soft_wrap=True)
    console.print(f"API docs: {base}/docs   started {datetime.now(UTC):%H:%MZ}")
    if serve:
        import uvicorn

        from deconfliction.api.app import create_app

        console.print("Assets report every 2 s; the line scans live tracks every second.")
        loaded.feed.start()
        try:
            app = create_app(line, service.LineConfig(db_url=db, host=host, port=port))
            uvicorn.run(
                app,
                host=host,
                port=port,
                log_level="info",
                access_log=False,
                timeout_graceful_shutdown=5,
            )
        finally:
            loaded.feed.stop()
