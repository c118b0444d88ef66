"""Cosignatures as C2SP tlog-cosignature writes them: key ids of type 0x04 as the Go
implementation computes them, the timestamp inside the signature, the signed message, and a
cosignature that holds for one checkpoint only."""

from __future__ import annotations

import base64
import struct

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from deconfliction.record import Checkpoint, NoteError, Signer
from deconfliction.record.cosignature import (
    Cosigner,
    cosign,
    cosigned_message,
    parse_cosignature,
)

# transparency-dev/formats note/note_cosigv1_test.go: a native cosignature/v1 verifier key, and a
# cosignature whose time is 1727964367
REMORA = "remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2"
TIMED = (
    "ZGhGuQAAAABm/qTPeyKXD+R2rzyQsxPiP8mXum7qq/iF0u4vanlqJyocWODBt97w9uL+8qT7S5gxEHWWOworDcFiEB"
    "YJXORmnFBOBA=="
)
CP = Checkpoint("line.example/record", 20852163, base64.b64decode(
    "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I="))  # fmt: skip


def test_the_key_id_of_a_published_cosigner_key() -> None:
    c = Cosigner.from_vkey(REMORA)
    assert (c.name, c.key_id.hex()) == ("remora.n621.de", "da77ade7")
    assert c.vkey() == REMORA
    with pytest.raises(NoteError, match="does not match"):
        Cosigner.from_vkey(REMORA.replace("da77ade7", "da77ade8"))
    # a signed-note key (type 0x01) is not a cosigner key
    with pytest.raises(NoteError, match="0x04"):
        Cosigner.from_vkey("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")


def test_the_time_of_a_published_cosignature() -> None:
    parsed = parse_cosignature(f"\u2014 remora.n621.de {TIMED}")
    assert parsed.timestamp == 1727964367 and parsed.key_id.hex() == "646846b9"


def test_the_signed_message_is_the_header_the_time_and_the_checkpoint() -> None:
    assert cosigned_message(CP, 1679315147) == (
        b"cosignature/v1\ntime 1679315147\nline.example/record\n20852163\n"
        b"CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    )


def test_a_cosignature_holds_for_its_checkpoint_only() -> None:
    signer = Signer.generate("red-ops")
    name = "line.example/record/witness/red"
    line = cosign(CP, signer, name, 1_800_000_000)
    raw = base64.b64decode(line.split(" ")[2])
    assert len(raw) == 76 and struct.unpack(">Q", raw[4:12]) == (1_800_000_000,)
    # the signature is plain Ed25519 over the message, by the member's key
    public = Ed25519PublicKey.from_public_bytes(signer.verifier().public_key)
    public.verify(raw[12:], cosigned_message(CP, 1_800_000_000))
    cosigner = Cosigner.from_public_key(name, signer.verifier().public_key)
    assert cosigner.verify(CP, line) == 1_800_000_000
    other = Checkpoint(CP.origin, CP.size, bytes(32))
    with pytest.raises(NoteError, match="does not verify over checkpoint 20852163"):
        cosigner.verify(other, line)
    with pytest.raises(NoteError, match="not 'someone-else'"):
        Cosigner.from_public_key("someone-else", cosigner.public_key).verify(CP, line)
    # the same key under the same name as a signed-note key has another key id (0x01 vs 0x04)
    assert Signer(name, signer._key).key_id != cosigner.key_id


@pytest.mark.parametrize(
    ("line", "said"),
    [
        ("- w AAAA", "does not start with"),
        ("\u2014 a+b AAAA", "has a space or '+'"),
        ("\u2014 w not-base64!", "not canonical standard base64"),
        ("\u2014 w " + base64.b64encode(bytes(75)).decode(), "holds 75 bytes, not 76"),
        ("\u2014 w " + base64.b64encode(bytes(4) + b"\xff" * 8 + bytes(64)).decode(),
         "greater than 2^63-1"),
    ],
)  # fmt: skip
def test_malformed_cosignatures_say_what_is_wrong(line: str, said: str) -> None:
    with pytest.raises(NoteError, match=said.replace("+", r"\+").replace("^", r"\^")):
        parse_cosignature(line)
