"""Evidence bundles, checked offline: what a signed checkpoint and inclusion proofs establish
about one notice, told in plain sentences.

A bundle (``FORMAT``) is one JSON object: the line's ``origin``, a signed ``checkpoint`` note,
and ``entries``, each an event's record entry in clear with its inclusion proof against that
checkpoint. Checking needs only the bundle and the line's public key — no line, no database:
the checkpoint's signature binds the root, each proof binds an entry to the root, and members'
signatures (acknowledgements, replies) are verified with the keys their own registrations,
also in the bundle, put on the record. A signature names its key; its registration must come
earlier in the record and be by the signer's party. Members appear as the record names them:
by a label (``<party>#<code>``) that tells a party's members apart in one thread or one
notice's receipts, never by id.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from deconfliction.record.entry import parse_entry
from deconfliction.record.keys import Verifier
from deconfliction.record.note import open_checkpoint
from deconfliction.record.notetext import NoteError
from deconfliction.record.statement import Signed
from deconfliction.record.tree import ProofError, leaf_hash, verify_inclusion

__all__ = ["FORMAT", "Findings", "check_bundle"]

FORMAT = "deconfliction-evidence/1"


@dataclass
class Findings:
    """What a bundle proves (``proven``, in order of the record) and what is wrong with it."""

    size: int = 0
    proven: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _decode(text: Any) -> bytes:
    if not isinstance(text, str):
        raise ValueError("a hash is not a base64 string")
    try:
        return base64.b64decode(text, validate=True)
    except binascii.Error:
        raise ValueError(f"{text!r} is not base64") from None


def check_bundle(bundle: Any, verifier: Verifier) -> Findings:
    """Verify a bundle against the line's key; never raises on a malformed bundle (it is a
    problem, said in a sentence)."""
    out = Findings()
    if not isinstance(bundle, dict) or bundle.get("format") != FORMAT:
        out.problems.append(f"this is not an evidence bundle ({FORMAT})")
        return out
    try:
        checkpoint = open_checkpoint(str(bundle.get("checkpoint", "")), verifier)
    except NoteError as exc:
        out.problems.append(f"the checkpoint does not verify with the line's key: {exc}")
        return out
    out.size = checkpoint.size
    records: list[dict[str, Any]] = []
    for i, item in enumerate(bundle.get("entries") or []):
        seq = item.get("seq") if isinstance(item, dict) else None
        try:
            if not isinstance(seq, int) or isinstance(seq, bool):
                raise ValueError("it has no sequence number")
            entry = str(item["entry"]).encode()
            proof = [_decode(h) for h in item["proof"]]
            verify_inclusion(seq - 1, checkpoint.size, leaf_hash(entry), proof, checkpoint.root)
            record = parse_entry(entry)
            if record["seq"] != seq:
                raise ValueError(f"the entry says it is event {record['seq']}")
        except (KeyError, TypeError, ValueError, ProofError) as exc:
            reason = f"'{exc.args[0]}' is missing" if isinstance(exc, KeyError) else str(exc)
            out.problems.append(
                f"entry {seq if seq is not None else f'#{i}'} is not proven: {reason}"
            )
            continue
        records.append(record)
    records.sort(key=lambda r: int(r["seq"]))
    _Story(checkpoint.origin, records, out, bundle.get("party")).tell()
    return out


class _Story:
    """The proven entries in plain sentences; member signatures checked on the way."""

    def __init__(
        self, origin: str, records: list[dict[str, Any]], out: Findings, party: Any
    ) -> None:
        self.origin = origin
        self.records = records
        self.out = out
        self.party = party if isinstance(party, str) else None
        self.keys: dict[str, tuple[bytes, int, str]] = {}
        """Registered keys by their base64 (and, in records made before signatures named their
        key, by member): the raw key, the entry that registered it, and its party."""
        self.said: set[tuple[Any, ...]] = set()
        self.counters: dict[str, str] = {}
        """Counter-proposals seen so far: their id, and the request each answers."""

    def tell(self) -> None:
        for r in self.records:
            body, seq, at = r["body"], r["seq"], r["at"]
            try:
                if "key" in body:
                    self._key(body["key"], seq)
                elif "notice" in body:
                    self._notice(r["kind"], body["notice"], at, seq)
                elif "receipts" in body:
                    self._receipts(body["receipts"], seq)
                elif "message" in body and isinstance(body["message"], dict):
                    self._message(body["message"], seq)
                elif "escalation" in body:
                    self._escalation(body["escalation"], at, seq)
            except (KeyError, TypeError) as exc:
                self.out.problems.append(f"entry {seq} lacks {exc} where its kind needs it")

    def _key(self, key: dict[str, Any], seq: int) -> None:
        raw = base64.b64decode(key["public_key"])
        self.keys[key["public_key"]] = self.keys[key["member"]] = (raw, seq, key["party"])
        self.out.proven.append(
            f"A member of party {key['party']} ({key['member']}) registered the public key "
            f"{key['public_key']} at {key['registered_at']} (entry {seq})."
        )

    def _notice(self, kind: str, n: dict[str, Any], at: str, seq: int) -> None:
        verb = {"notice.created": "published", "notice.updated": "published"}.get(kind)
        audience = n["audience"]
        shown = "every party" if audience == "all" else "parties " + ", ".join(audience)
        if verb is None:
            self.out.proven.append(
                f"At {at}, party {n['party']} withdrew notice {n['id']} “{n['title']}” "
                f"(version {n['version']}; entry {seq})."
            )
            return
        self.out.proven.append(
            f"At {at}, party {n['party']} published version {n['version']} of notice {n['id']} "
            f"“{n['title']}”{' (protected)' if n.get('protected') else ''} to {shown} "
            f"(entry {seq})."
        )

    def _receipts(self, receipts: Iterable[dict[str, Any]], seq: int) -> None:
        for r in receipts:
            if self.party is not None and r["party"] != self.party:
                continue
            what = (
                f"version {r['version']} of notice {r['notice']}"
                if "notice" in r
                else f"message {r['message']} on thread {r['thread']}"
            )
            subject = (r.get("notice"), r.get("version"), r.get("message"), r["party"])
            if r.get("delivered_at") and (*subject, "delivered") not in self.said:
                self.said.add((*subject, "delivered"))
                self.out.proven.append(
                    f"Party {r['party']} received {what} at {r['delivered_at']} (entry {seq})."
                )
            if (
                r.get("acknowledged_at")
                and (*subject, "acked", bool(r.get("signed"))) not in self.said
            ):
                self.said.add((*subject, "acked", bool(r.get("signed"))))
                sentence = f"Party {r['party']} acknowledged {what} at {r['acknowledged_at']}"
                expect = (
                    {"act": "acknowledge", "notice": r["notice"], "version": r["version"]}
                    if "notice" in r
                    else {"act": "acknowledge", "thread": r["thread"], "message": r["message"]}
                )
                signed = self._signed(r.get("signed"), expect, seq, r["party"])
                self.out.proven.append(sentence + signed)

    def _message(self, m: dict[str, Any], seq: int) -> None:
        if self.party is not None and self.party not in (m["party"], m.get("to")):
            return
        at, who = m["created_at"], f"party {m['party']}"
        if m["kind"] == "request":
            refs = ", ".join(m.get("notices") or []) or "no notice"
            said = (
                f"At {at}, {who} asked party {m['to']} to {m['request']} (request {m['id']}, "
                f"about {refs}; reply due by {m['deadline']})"
            )
        elif m["kind"] == "reply" and m["in_reply_to"] in self.counters:
            request = self.counters[m["in_reply_to"]]
            said = (
                f"At {at}, {who} replied {m['reply']} to counter {m['in_reply_to']} "
                f"(of request {request}): the agreement is on the counter's terms"
            )
        elif m["kind"] == "reply":
            reason = f": “{m['reason']}”" if m.get("reason") else ""
            said = f"At {at}, {who} replied {m['reply']} to request {m['in_reply_to']}{reason}"
            if m["reply"] == "counter":
                self.counters[m["id"]] = m["in_reply_to"]
        elif m["kind"] == "withdraw":
            said = f"At {at}, {who} withdrew the agreement of request {m['in_reply_to']}"
        else:
            said = f"At {at}, {who} wrote on thread {m['thread']}: “{m['text']}”"
        # what the member signed must be this message: its kind, and what it answers or asks
        sent = {k: m[k] for k in ("kind", "in_reply_to", "reply", "request", "to") if k in m}
        expect = {"act": "send", "thread": m["thread"], "message": sent}
        self.out.proven.append(f"{said}{self._signed(m.get('signed'), expect, seq, m['party'])}")

    def _escalation(self, e: dict[str, Any], at: str, seq: int) -> None:
        if e.get("about") == "acknowledgement":
            missing = ", ".join(e["missing"])
            self.out.proven.append(
                f"At {at}, the line escalated: version {e['version']} of notice {e['notice']} "
                f"was not acknowledged by {missing} by its deadline {e['due']} (entry {seq})."
            )
        else:
            self.out.proven.append(
                f"At {at}, the line escalated: request {e['message']} to party {e['to']} was "
                f"not answered by its deadline {e['deadline']} (entry {seq})."
            )

    def _signed(self, signed: Any, expect: dict[str, Any], seq: int, party: str) -> str:
        """The sentence's end: where it is recorded, and whose signature it carries (a member
        of ``party``, with a key that party registered earlier in the record)."""
        if not signed:
            return f" (entry {seq}; not signed)."
        try:
            record = Signed.from_json(signed)
        except ValueError as exc:
            self.out.problems.append(f"entry {seq}: its signature record is malformed: {exc}")
            return f" (entry {seq}; signature record malformed)."
        member = record.member
        key = self.keys.get(record.key or member)
        if key is None or key[2] != party:
            named = f"key {record.key}" if record.key else f"member {member}'s key"
            self.out.problems.append(
                f"entry {seq} is signed by member {member}, but no registration of {named} by "
                f"party {party} is in the bundle before it"
            )
            return f" (entry {seq}; signed by {member}, key not in the bundle)."
        try:
            content = json.loads(record.statement)
        except ValueError:
            content = None
        wanted = {**expect, "line": self.origin}
        if not isinstance(content, dict) or not _holds(content, wanted):
            self.out.problems.append(
                f"entry {seq}: the statement member {member} signed is not about this "
                f"(expected {json.dumps(wanted, sort_keys=True)})"
            )
            return f" (entry {seq}; signed statement does not match)."
        if not record.verifies(key[0]):
            self.out.problems.append(
                f"entry {seq}: member {member}'s signature does not verify with its key "
                f"(registered in entry {key[1]})"
            )
            return f" (entry {seq}; signature does NOT verify)."
        return (
            f" (entry {seq}), signed by member {member} with the key it registered in "
            f"entry {key[1]}; the signature verifies."
        )


def _holds(content: dict[str, Any], wanted: dict[str, Any]) -> bool:
    """Whether ``content`` has every member of ``wanted`` (nested objects: at least theirs)."""
    for key, value in wanted.items():
        got = content.get(key)
        if isinstance(value, dict):
            if not isinstance(got, dict) or not _holds(got, value):
                return False
        elif got != value:
            return False
    return True
