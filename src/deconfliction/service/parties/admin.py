"""The host's use cases: parties and the members who act for them."""

from __future__ import annotations

from deconfliction.domain import Member, Party, Role, check_slug
from deconfliction.domain.text import check_plain
from deconfliction.errors import AlreadyExists, InvalidInput, NotFound
from deconfliction.service.line import Line
from deconfliction.service.parties.auth import hash_token, new_token

__all__ = ["create_member", "create_party", "list_parties"]


def create_party(line: Line, slug: str, name: str) -> Party:
    check_slug(slug)
    name = name.strip()
    if not name or len(name) > 200:
        raise InvalidInput("a party needs a name of 1-200 characters", "/name")
    check_plain(name, "/name")
    party = Party(slug=slug, name=name, created_at=line.clock())
    with line.store.transaction() as tx:
        if tx.get_party(slug) is not None:
            raise AlreadyExists(f"party {slug!r} already exists", "/slug")
        tx.add_party(party)
    return party


def list_parties(line: Line) -> list[Party]:
    with line.store.read() as tx:
        return tx.list_parties()


def create_member(line: Line, party: str, role: Role, name: str = "") -> tuple[Member, str]:
    """Make a member of ``party``; return it and its token (shown once, never stored)."""
    token = new_token()
    check_plain(name, "/name")
    member = Member(id=line.new_id(), party=party, role=role, created_at=line.clock(), name=name)
    with line.store.transaction() as tx:
        if tx.get_party(party) is None:
            raise NotFound(f"no party {party!r} on this line; create it first", "/party")
        tx.add_member(member, hash_token(token))
    return member, token
