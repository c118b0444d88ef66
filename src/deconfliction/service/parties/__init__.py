"""Parties and members: the host's administration, bearer tokens, members' signing keys."""

from deconfliction.service.parties.admin import create_member, create_party, list_parties
from deconfliction.service.parties.auth import (
    authenticate,
    authenticate_ticket,
    hash_token,
    issue_stream_ticket,
    new_token,
)
from deconfliction.service.parties.keys import member_key, register_key

__all__ = [
    "authenticate",
    "authenticate_ticket",
    "issue_stream_ticket",
    "create_member",
    "create_party",
    "hash_token",
    "list_parties",
    "member_key",
    "new_token",
    "register_key",
]
