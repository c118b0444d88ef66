"""Parties and members: the host's administration, bearer tokens, members' signing keys."""

from deconfliction.service.parties.admin import (
    create_member,
    create_party,
    get_member,
    list_members,
    list_parties,
    require_host_admin,
    revoke_member,
    rotate_token,
)
from deconfliction.service.parties.auth import (
    authenticate,
    authenticate_ticket,
    current_members,
    hash_token,
    issue_stream_ticket,
    new_token,
)
from deconfliction.service.parties.keys import member_key, register_key

__all__ = [
    "authenticate",
    "authenticate_ticket",
    "create_member",
    "create_party",
    "current_members",
    "get_member",
    "hash_token",
    "issue_stream_ticket",
    "list_members",
    "list_parties",
    "member_key",
    "new_token",
    "register_key",
    "require_host_admin",
    "revoke_member",
    "rotate_token",
]
