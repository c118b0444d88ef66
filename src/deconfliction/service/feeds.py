"""Feed use cases: the host adds, lists and removes a party's feeds, and each feed reports what
it reads as its own member of the party, through ``report_tracks`` with all its rules.

Only the host may add a feed: a feed makes the line's own machine connect to an address, and a
party that could name one could make the host reach its internal network (server-side request
forgery, docs/security.md). The command line acts as the host (``actor=None``: whoever may open
the database is); any other actor must be an admin of the host's party.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from deconfliction.domain import HOST_PARTY, Member, Role
from deconfliction.domain.feed import Feed, FeedKind, check_source
from deconfliction.domain.text import check_plain
from deconfliction.errors import InvalidInput, NotFound, PermissionDenied
from deconfliction.service.line import Line
from deconfliction.service.parties.admin import require_host_admin
from deconfliction.service.parties.auth import hash_token, new_token
from deconfliction.service.tracks.reports import ReportResult, report_tracks

__all__ = ["FeedView", "add_feed", "feed_report", "list_feeds", "remove_feed", "running_feeds"]


@dataclass(frozen=True, slots=True)
class FeedView:
    """A feed and the member it reports as (whose state says whether it runs)."""

    feed: Feed
    member: Member | None


def _host(actor: Member | None) -> None:
    if actor is not None:
        require_host_admin(actor)


def add_feed(
    line: Line, party: str, kind: FeedKind, source: str, actor: Member | None = None
) -> FeedView:
    """Make a feed of ``party`` reading ``source`` and the coordinator of the party it reports
    as (named for the feed; its token is never shown, and revoking it stops the feed)."""
    _host(actor)
    if party == HOST_PARTY:
        raise InvalidInput(f"the host's party {HOST_PARTY!r} reports no tracks", "/party")
    source = check_source(kind, source)
    now = line.clock()
    with line.store.transaction() as tx:
        if tx.get_party(party) is None:
            raise NotFound(f"no party {party!r} on this line; create it first", "/party")
        feed = Feed(id=line.new_id(), party=party, kind=kind, source=source, member="",
                    created_at=now)  # fmt: skip
        name = f"feed {feed.name}"
        check_plain(name, "/source")
        token, prefix = new_token()  # never shown: the feed acts as its member inside the line
        member = Member(id=line.new_id(), party=party, role=Role.COORDINATOR, created_at=now,
                        name=name, token_prefix=prefix)  # fmt: skip
        tx.add_member(member, hash_token(token))
        feed = Feed(feed.id, party, kind, source, member.id, now)
        tx.add_feed(feed)
    return FeedView(feed, member)


def list_feeds(line: Line, actor: Member | None = None) -> list[FeedView]:
    """Every feed on the line with its member, oldest first."""
    _host(actor)
    with line.store.read() as tx:
        feeds = tx.list_feeds()
        members = tx.get_members([f.member for f in feeds])
    return [FeedView(f, members.get(f.member)) for f in feeds]


def remove_feed(line: Line, feed_id: str, actor: Member | None = None) -> FeedView:
    """Remove the feed and revoke its member: it stops reading, and its tracks go stale."""
    _host(actor)
    now = line.clock()
    with line.store.transaction() as tx:
        feed = tx.get_feed(feed_id)
        if feed is None:
            raise NotFound(f"no feed {feed_id!r} on this line", "/id")
        tx.drop_feed(feed_id)
        tx.revoke_member(feed.member, now)
        member = tx.get_members([feed.member]).get(feed.member)
    line.signal.recheck_members()
    return FeedView(feed, member)


def running_feeds(line: Line) -> list[Feed]:
    """The feeds that should be running now: those whose member's token works."""
    now = line.clock()
    return [v.feed for v in list_feeds(line) if v.member and v.member.refusal(now) is None]


def feed_report(
    line: Line, feed_id: str, batch: Sequence[object] | Callable[[], Sequence[object]]
) -> ReportResult:
    """Report a batch of tracks read by the feed, as its member (``report_tracks``).

    ``PermissionDenied`` once the feed is removed or its member revoked: the feed stops.
    """
    with line.store.read() as tx:
        feed = tx.get_feed(feed_id)
        member = None if feed is None else tx.get_members([feed.member]).get(feed.member)
    if feed is None or member is None:
        raise PermissionDenied(f"feed {feed_id!r} was removed")
    refusal = member.refusal(line.clock())
    if refusal is not None:
        raise PermissionDenied(f"feed {feed_id!r} stopped, as its member's token does not "
                               f"work: {refusal}")  # fmt: skip
    return report_tracks(line, member, batch)
