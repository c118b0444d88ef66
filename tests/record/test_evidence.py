"""The offline check of evidence bundles, on bundles made here from scratch: what a host could
forge inside a correctly signed record (a member's signature it never had) is still caught."""

from __future__ import annotations

import base64
import json
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from deconfliction.record import Checkpoint, Signer, sign_checkpoint, statement
from deconfliction.record.entry import canonical_entry
from deconfliction.record.evidence import FORMAT, check_bundle
from deconfliction.record.memory import MemoryTree
from deconfliction.record.tree import leaf_hash

ORIGIN = "example.org/line"
NOTICE = "n-1"


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def record(seq: int, kind: str, body: dict[str, Any]) -> bytes:
    return canonical_entry(
        {"at": f"2026-11-25T14:0{seq}:00.000000Z", "body": body, "kind": kind,
         "party": "blue", "seq": seq, "subject": NOTICE, "told": ["blue", "red"]}
    )  # fmt: skip


def bundle(line: Signer, entries: list[bytes]) -> dict[str, Any]:
    tree = MemoryTree()
    tree.extend(leaf_hash(e) for e in entries)
    note = sign_checkpoint(Checkpoint(ORIGIN, tree.size, tree.root()), line)
    return {
        "format": FORMAT,
        "checkpoint": note,
        "entries": [
            {"seq": i + 1, "entry": e.decode(), "proof": list(map(b64, tree.inclusion_proof(i, 3)))}
            for i, e in enumerate(entries)
        ],
    }


def story(member_key: Ed25519PrivateKey, signed_by: Ed25519PrivateKey) -> list[bytes]:
    said = statement.ack_notice(ORIGIN, NOTICE, 1)
    signed = {"member": "m-red", "statement": said.decode(), "signature": b64(signed_by.sign(said))}
    key = {"party": "red", "member": "m-red", "registered_at": "2026-11-25T14:01:00Z",
           "public_key": b64(member_key.public_key().public_bytes_raw())}  # fmt: skip
    notice = {"id": NOTICE, "party": "blue", "title": "Hospital", "version": 1,
              "protected": True, "audience": ["red"]}  # fmt: skip
    receipt = {"notice": NOTICE, "version": 1, "party": "red", "signed": signed,
               "delivered_at": "2026-11-25T14:02:30Z",
               "acknowledged_at": "2026-11-25T14:03:00Z"}  # fmt: skip
    return [
        record(1, "key.registered", {"key": key}),
        record(2, "notice.created", {"notice": notice}),
        record(3, "receipt.recorded", {"receipts": [receipt]}),
    ]


def test_a_good_bundle_tells_its_story() -> None:
    line, member = Signer.generate(ORIGIN), Ed25519PrivateKey.generate()
    found = check_bundle(bundle(line, story(member, member)), line.verifier())
    assert found.ok, found.problems
    assert found.size == 3
    assert found.proven[1] == (
        "At 2026-11-25T14:02:00.000000Z, party blue published version 1 of notice n-1 "
        "“Hospital” (protected) to parties red (entry 2)."
    )
    assert found.proven[3].startswith("Party red acknowledged version 1 of notice n-1 at ")
    assert found.proven[3].endswith("registered in entry 1; the signature verifies.")


def test_a_signature_the_member_never_made_is_caught_inside_a_signed_record() -> None:
    line, member = Signer.generate(ORIGIN), Ed25519PrivateKey.generate()
    forged = check_bundle(
        bundle(line, story(member, Ed25519PrivateKey.generate())), line.verifier()
    )
    assert forged.problems == [
        "entry 3: member m-red's signature does not verify with its key (registered in entry 1)"
    ]


def test_another_lines_key_or_a_changed_entry_proves_nothing() -> None:
    line, member = Signer.generate(ORIGIN), Ed25519PrivateKey.generate()
    good = bundle(line, story(member, member))
    other = check_bundle(good, Signer.generate(ORIGIN).verifier())
    assert not other.ok and other.problems[0].startswith("the checkpoint does not verify")
    changed = json.loads(json.dumps(good))
    changed["entries"][1]["entry"] = changed["entries"][1]["entry"].replace("14:02", "14:09")
    found = check_bundle(changed, line.verifier())
    assert [p.split(":")[0] for p in found.problems] == ["entry 2 is not proven"]
    assert check_bundle({"format": "x"}, line.verifier()).problems == [
        f"this is not an evidence bundle ({FORMAT})"
    ]


def keyed_story(key: Ed25519PrivateKey, party: str) -> list[bytes]:
    """The record as the line writes it now: a signature names its key, members are labels (a
    registration's of that key alone, the receipt's of the notice's receipts)."""
    public = b64(key.public_key().public_bytes_raw())
    said = statement.ack_notice(ORIGIN, NOTICE, 1)
    signed = {"member": "red#k3f9qa", "statement": said.decode(), "signature": b64(key.sign(said)),
              "key": public}  # fmt: skip
    registered = {"party": party, "member": f"{party}#0w2mzz", "public_key": public,
                  "registered_at": "2026-11-25T14:01:00Z"}  # fmt: skip
    notice = {"id": NOTICE, "party": "blue", "title": "Hospital", "version": 1,
              "protected": True, "audience": ["red"]}  # fmt: skip
    receipt = {"notice": NOTICE, "version": 1, "party": "red", "signed": signed,
               "delivered_at": None, "acknowledged_at": "2026-11-25T14:03:00Z"}  # fmt: skip
    return [
        record(1, "key.registered", {"key": registered}),
        record(2, "notice.created", {"notice": notice}),
        record(3, "receipt.recorded", {"receipts": [receipt]}),
    ]


def test_a_signature_is_found_by_its_key_and_must_be_its_partys() -> None:
    line, member = Signer.generate(ORIGIN), Ed25519PrivateKey.generate()
    found = check_bundle(bundle(line, keyed_story(member, "red")), line.verifier())
    assert found.ok, found.problems
    assert found.proven[0].startswith(
        "A member of party red (red#0w2mzz) registered the public key"
    )
    assert found.proven[2].endswith(
        "signed by member red#k3f9qa with the key it registered in entry 1; the signature verifies."
    )
    # a key blue registered cannot stand for a signature by a member of red
    borrowed = check_bundle(bundle(line, keyed_story(member, "blue")), line.verifier())
    assert borrowed.problems == [
        f"entry 3 is signed by member red#k3f9qa, but no registration of key "
        f"{b64(member.public_key().public_bytes_raw())} by party red is in the bundle before it"
    ]
