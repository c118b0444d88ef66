"""Signed notes and checkpoints against known vectors of other implementations, and the ways a
note can be broken."""

from __future__ import annotations

import base64

import pytest

from deconfliction.record.note import (
    Checkpoint,
    NoteError,
    Signer,
    Verifier,
    open_checkpoint,
    open_note,
    public_key_from_text,
    sign_checkpoint,
    sign_note,
    valid_name,
    verify_signature,
)

# golang.org/x/mod, sumdb/note/note_test.go (TestSign, TestOpen).
PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
PETER_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
PETER_SIG = "— PeterNeumann {}\n".format(
    "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM="
)
ENOCH_SIG = "— EnochRoot {}\n".format(
    "rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ="
)

# transparency-dev/formats, log/note_test.go: key pairs (some with '+' in their base64) and a
# checkpoint signed by the Go checksum database, whose origin differs from its key name.
FORMATS_KEYS = [
    (
        "PRIVATE+KEY+Log+2271c621+AdEIq9FLRQni54Wg68T96VJO+iayOaulswav2DUMKgvQ",
        "Log+2271c621+AemuH5ooBpEPcr+W8onrjA1NfuzBVHdezakU81Ekarvs",
    ),
    (
        "PRIVATE+KEY+Known+451c786d+AQPRoE2+Z+Ed1HaHBA9F/FfracvcZ2rDU39kCecMEoci",
        "Known+451c786d+AXAQ0T7lbwuY4ABJ9/MYY9bWV3hmSyOGVt2x42NkmdUH",
    ),
    (
        "PRIVATE+KEY+KnownAgain+4893b26c+ARhZda/l25zjGZswYLDZsLNRzNpmv5wYTN9IoTr1OJ2+",
        "KnownAgain+4893b26c+AQ+LR7BFF/F/dkpIBjBpSvT0crkteizuUkavAoGeaYMj",
    ),
]
SUMDB_VKEY = "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8"
SUMDB_CHECKPOINT = (
    "go.sum database tree\n6476701\nmb8QLQIs0Z0yP5Cstq6guj87oXWeC9gEM8oVikmm9Wk=\n\n"
    "— sum.golang.org "
    "Az3grsLX85Gz+s1SiTbgkuqxgItqFq7gsMUEyVnrsa9LM7Us9S+1xbFIGu95949rj4nPRYfvimWEPWL+o3GeoWwOoAw=\n"
)

ROOT = bytes(range(32))
ROOT64 = base64.b64encode(ROOT).decode()


# --- keys -----------------------------------------------------------------------------------


def test_go_keys_parse_and_round_trip() -> None:
    v = Verifier.from_vkey(PETER_VKEY)
    s = Signer.from_skey(PETER_SKEY)
    assert (v.name, v.key_id.hex(), len(v.public_key)) == ("PeterNeumann", "c74f20a3", 32)
    assert (s.name, s.key_id) == (v.name, v.key_id)
    assert v.vkey() == PETER_VKEY
    assert s.skey() == PETER_SKEY
    assert s.verifier() == v


@pytest.mark.parametrize(("skey", "vkey"), FORMATS_KEYS)
def test_formats_key_pairs_round_trip(skey: str, vkey: str) -> None:
    s = Signer.from_skey(skey)
    assert s.skey() == skey
    assert s.verifier().vkey() == vkey
    assert Verifier.from_vkey(vkey) == s.verifier()


def test_every_mangled_vkey_is_refused() -> None:
    """Every proper substring, and every one-character change, of a good vkey fails to parse."""
    for i in range(len(PETER_VKEY)):
        for j in range(i + 1, len(PETER_VKEY) + 1):
            if (i, j) != (0, len(PETER_VKEY)):
                with pytest.raises(NoteError):
                    Verifier.from_vkey(PETER_VKEY[i:j])
    for i, c in enumerate(PETER_VKEY):
        with pytest.raises(NoteError):
            Verifier.from_vkey(PETER_VKEY[:i] + chr(ord(c) + 1) + PETER_VKEY[i + 1 :])


def test_every_mangled_skey_is_refused() -> None:
    for i in range(len(PETER_SKEY)):
        for j in range(i + 1, len(PETER_SKEY) + 1):
            if (i, j) != (0, len(PETER_SKEY)):
                with pytest.raises(NoteError):
                    Signer.from_skey(PETER_SKEY[i:j])
    for i, c in enumerate(PETER_SKEY):
        with pytest.raises(NoteError):
            Signer.from_skey(PETER_SKEY[:i] + chr(ord(c) + 1) + PETER_SKEY[i + 1 :])


@pytest.mark.parametrize(
    ("vkey", "fragment"),
    [
        # Go's own bad keys: a 37-byte key, and algorithm 0x65, each with a matching key id.
        (
            "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==",
            "not base64",
        ),
        ("PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "algorithm 0x65"),
        ("PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "does not match"),
        ("PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "8 lowercase hex"),
        ("Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "has a space"),
        ("+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "is empty"),
        ("PeterNeumann+c74f20a3", "of the form"),
        ("PeterNeumann+c74f20a3+!!!!", "not base64"),
        ("PeterNeumann+c74f20a3+", "not base64"),
    ],
)
def test_bad_vkeys_name_the_bad_part(vkey: str, fragment: str) -> None:
    with pytest.raises(NoteError, match=fragment):
        Verifier.from_vkey(vkey)


def test_names() -> None:
    assert valid_name("line.example/record")
    assert valid_name("Señor-1")
    for bad in ["", "a b", "a+b", "a\tb", "a\u00a0b", "a\u2003b", "a\x01b", "a\ud800b"]:
        assert not valid_name(bad), bad
    with pytest.raises(NoteError, match="space or '\\+'"):
        Signer.generate("line x")


def test_generated_keys_round_trip_and_sign() -> None:
    s = Signer.generate("line.example/record")
    again = Signer.from_skey(s.skey())
    assert again.verifier() == s.verifier() == Verifier.from_vkey(s.verifier().vkey())
    sig = s.sign(b"hi")
    assert len(sig) == 64 and s.verifier().verify(b"hi", sig)
    assert not s.verifier().verify(b"ho", sig)
    assert not s.verifier().verify(b"hi", sig[:-1])
    assert "PRIVATE" not in repr(s)


# --- notes ----------------------------------------------------------------------------------


def test_signing_go_text_gives_go_note_byte_for_byte() -> None:
    assert sign_note(TEXT, Signer.from_skey(PETER_SKEY)) == TEXT + "\n" + PETER_SIG


def test_open_go_note() -> None:
    assert open_note(TEXT + "\n" + PETER_SIG, Verifier.from_vkey(PETER_VKEY)) == TEXT


def test_unknown_key_alongside_a_good_one_is_ignored() -> None:
    peter, enoch = Verifier.from_vkey(PETER_VKEY), Verifier.from_vkey(ENOCH_VKEY)
    both = TEXT + "\n" + PETER_SIG + ENOCH_SIG
    assert open_note(both, peter) == TEXT
    assert open_note(both, enoch) == TEXT
    assert open_note(both, peter, enoch) == TEXT


def test_a_known_name_with_another_key_id_is_an_unknown_key() -> None:
    other = Signer.generate("PeterNeumann")  # same name, different key id: not Peter's key
    note = sign_note(TEXT, other) + PETER_SIG
    assert open_note(note, Verifier.from_vkey(PETER_VKEY)) == TEXT


def test_signature_by_another_key_only() -> None:
    with pytest.raises(NoteError, match=r"not signed by PeterNeumann\+c74f20a3"):
        open_note(TEXT + "\n" + ENOCH_SIG, Verifier.from_vkey(PETER_VKEY))


def test_no_known_signature_names_every_expected_key() -> None:
    a, b = Signer.generate("a.example"), Signer.generate("b.example")
    with pytest.raises(NoteError, match=r"not signed by a\.example\+\w{8} or b\.example\+"):
        open_note(TEXT + "\n" + ENOCH_SIG, a.verifier(), b.verifier())


def test_changed_text_fails() -> None:
    changed = TEXT.replace("cryptography", "cryptographY") + "\n" + PETER_SIG
    with pytest.raises(NoteError, match="does not verify: the note was changed or forged"):
        open_note(changed, Verifier.from_vkey(PETER_VKEY))


def test_every_changed_byte_of_the_text_fails() -> None:
    peter = Verifier.from_vkey(PETER_VKEY)
    for i, c in enumerate(TEXT[:-1]):
        changed = TEXT[:i] + chr(ord(c) ^ 1) + TEXT[i + 1 :]
        with pytest.raises(NoteError):
            open_note(changed + "\n" + PETER_SIG, peter)


def test_changed_signature_fails() -> None:
    raw = bytearray(base64.b64decode(PETER_SIG.split()[-1]))
    raw[10] ^= 0x40  # a byte of the signature proper, after the 4-byte key id
    bad = "— PeterNeumann " + base64.b64encode(bytes(raw)).decode() + "\n"
    with pytest.raises(NoteError, match=r"by PeterNeumann\+c74f20a3 does not verify"):
        open_note(TEXT + "\n" + bad, Verifier.from_vkey(PETER_VKEY))
    # Go's own case: four characters spliced into the base64.
    spliced = PETER_SIG[:60] + "ABCD" + PETER_SIG[60:]
    with pytest.raises(NoteError, match="does not verify"):
        open_note(TEXT + "\n" + spliced, Verifier.from_vkey(PETER_VKEY))


def test_a_bad_known_signature_rejects_even_beside_a_good_one() -> None:
    spliced = PETER_SIG[:60] + "ABCD" + PETER_SIG[60:]
    with pytest.raises(NoteError, match="does not verify"):
        open_note(TEXT + "\n" + PETER_SIG + spliced, Verifier.from_vkey(PETER_VKEY))


@pytest.mark.parametrize(
    ("note", "fragment"),
    [
        (TEXT, "no blank line"),
        (TEXT + PETER_SIG, "no blank line"),
        (TEXT + "\n", "no signature after its blank line"),
        (TEXT + "\n" + PETER_SIG[:-1], "does not end in a newline"),
        (TEXT + "\n" + PETER_SIG + "Unexpected line.\n", "not a signature line"),
        (TEXT + "\n" + PETER_SIG + "\n", "no signature after its blank line"),
        (TEXT + "\n" + PETER_SIG.replace("— ", "- "), "not a signature line"),
        (TEXT + "\n" + PETER_SIG.replace("— ", "—"), "not a signature line"),
        (TEXT + "\n" + PETER_SIG.replace("PeterNeumann", "Peter Neumann"), "not a signature"),
        (TEXT + "\n" + PETER_SIG.replace("=\n", "\n"), "not a signature line"),
        (TEXT + "\n" + "— PeterNeumann x08gow==\n", "not a signature line"),  # a key id only
        (TEXT + "\n" + "— PeterNeumann x08go/8=\n", "does not verify"),  # a 1-byte signature
        ("\x01" + TEXT + "\n" + PETER_SIG, "control character"),
        (TEXT + "\r\n" + PETER_SIG, "control character"),
        (TEXT + "\n" + PETER_SIG * 101, "more than 100"),
    ],
)
def test_malformed_notes(note: str, fragment: str) -> None:
    with pytest.raises(NoteError, match=fragment):
        open_note(note, Verifier.from_vkey(PETER_VKEY))


def test_sign_note_refuses_what_cannot_be_a_note_text() -> None:
    s = Signer.from_skey(PETER_SKEY)
    for text, fragment in [
        ("abc", "does not end in a newline"),
        ("", "does not end in a newline"),
        ("a\x00b\n", "control character"),
        ("a\ud800\n", "UTF-8"),
    ]:
        with pytest.raises(NoteError, match=fragment):
            sign_note(text, s)
    with pytest.raises(NoteError, match="at least one signer"):
        sign_note(TEXT)


def test_text_with_blank_lines_is_split_at_the_last_one() -> None:
    """The spec lets the text hold blank lines; the last blank line of the note separates."""
    s = Signer.generate("a.example")
    for text in ["one\n\ntwo\n", "one\n\n", "\n"]:
        assert open_note(sign_note(text, s), s.verifier()) == text


def test_several_signers() -> None:
    a, b = Signer.generate("a.example"), Signer.generate("b.example")
    note = sign_note(TEXT, a, b)
    assert note.count("— ") == 2
    assert open_note(note, b.verifier()) == TEXT


def test_verifier_arguments() -> None:
    peter = Verifier.from_vkey(PETER_VKEY)
    assert open_note(TEXT + "\n" + PETER_SIG, peter, peter) == TEXT  # the same key twice is fine
    with pytest.raises(NoteError, match="no key was given"):
        open_note(TEXT + "\n" + PETER_SIG)
    assert Verifier.from_public_key("PeterNeumann", peter.public_key) == peter
    with pytest.raises(NoteError, match="does not match"):
        Verifier(peter.name, bytes(4), peter.public_key)


# --- checkpoints ----------------------------------------------------------------------------


def test_checkpoint_text_round_trip() -> None:
    cp = Checkpoint("line.example/record", 20852163, ROOT, ("ext one", "ext two"))
    assert cp.text() == f"line.example/record\n20852163\n{ROOT64}\next one\next two\n"
    assert Checkpoint.parse(cp.text()) == cp
    empty = Checkpoint("o", 0, ROOT)
    assert empty.text() == f"o\n0\n{ROOT64}\n"
    assert Checkpoint.parse(empty.text()) == empty


def test_sumdb_checkpoint_opens() -> None:
    cp = open_checkpoint(SUMDB_CHECKPOINT, Verifier.from_vkey(SUMDB_VKEY), "go.sum database tree")
    assert (cp.origin, cp.size, cp.extensions) == ("go.sum database tree", 6476701, ())
    assert base64.b64encode(cp.root).decode() == "mb8QLQIs0Z0yP5Cstq6guj87oXWeC9gEM8oVikmm9Wk="
    with pytest.raises(NoteError, match="not 'Go rocks'"):
        open_checkpoint(SUMDB_CHECKPOINT, Verifier.from_vkey(SUMDB_VKEY), "Go rocks")


def test_sign_and_open_checkpoint() -> None:
    s = Signer.generate("line-x")
    cp = Checkpoint("line-x", 7, ROOT)
    note = sign_checkpoint(cp, s)
    assert note.startswith(cp.text() + "\n— line-x ")
    assert open_checkpoint(note, s.verifier(), "line-x") == cp
    other = Signer.generate("line-x")
    with pytest.raises(NoteError, match=r"the checkpoint is not signed by line-x\+[0-9a-f]{8}"):
        open_checkpoint(note, other.verifier())


def test_a_well_signed_note_that_is_not_a_checkpoint() -> None:
    s = Signer.generate("line-x")
    with pytest.raises(NoteError, match="line 2 of the checkpoint is 'hello', not a tree size"):
        open_checkpoint(sign_note(f"line-x\nhello\n{ROOT64}\n", s), s.verifier())


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        (f"o\n1\n{ROOT64}", "does not end in a newline"),
        ("o\n1\n", "2 lines, not at least 3"),
        (f"\n1\n{ROOT64}\n", "line 1 of the checkpoint is empty"),
        (f"o\n1\n{ROOT64}\n\n", "line 4 of the checkpoint is empty"),
        (f"o\n1\n{ROOT64}\na\n\nb\n", "line 5 of the checkpoint is empty"),
        (f"o\nx\n{ROOT64}\n", "line 2 of the checkpoint is 'x', not a tree size"),
        (f"o\n01\n{ROOT64}\n", "'01', not a tree size"),
        (f"o\n00\n{ROOT64}\n", "'00', not a tree size"),
        (f"o\n-1\n{ROOT64}\n", "'-1', not a tree size"),
        (f"o\n+1\n{ROOT64}\n", "'\\+1', not a tree size"),
        (f"o\n 1\n{ROOT64}\n", "' 1', not a tree size"),
        (f"o\n1_000\n{ROOT64}\n", "'1_000', not a tree size"),
        (f"o\n\u0661\n{ROOT64}\n", "not a tree size"),  # an Arabic-Indic digit one
        (f"o\n{2**64}\n{ROOT64}\n", "2\\^64-1"),
        ("o\n1\nYmFuYW5hcw==\n", "not a 32-byte root"),
        (f"o\n1\n{ROOT64[:-1]}\n", "not a 32-byte root"),
        (f"o\n1\n{ROOT64[:-2]}9=\n", "not a 32-byte root"),  # non-canonical
        (f"o\n1\n{ROOT64} \n", "not a 32-byte root"),
        (f"o\n1\n{ROOT64.replace('A', '-', 1)}\n", "not a 32-byte root"),
        (f"o\r\n1\n{ROOT64}\n", "control character"),
    ],
)
def test_checkpoint_parse_rejections(text: str, fragment: str) -> None:
    with pytest.raises(NoteError, match=fragment):
        Checkpoint.parse(text)


def test_checkpoint_fields_are_checked() -> None:
    with pytest.raises(NoteError, match="origin"):
        Checkpoint("", 1, ROOT)
    with pytest.raises(NoteError, match="origin"):
        Checkpoint("a\nb", 1, ROOT)
    with pytest.raises(NoteError, match="extension"):
        Checkpoint("o", 1, ROOT, ("",))
    with pytest.raises(NoteError, match="tree size"):
        Checkpoint("o", -1, ROOT)
    with pytest.raises(NoteError, match="tree size"):
        Checkpoint("o", True, ROOT)
    with pytest.raises(NoteError, match="31 bytes, not 32"):
        Checkpoint("o", 1, ROOT[:31])
    assert Checkpoint("o", 2**64 - 1, ROOT).size == 2**64 - 1


# --- raw signatures by members --------------------------------------------------------------


def test_public_key_from_text() -> None:
    peter = Verifier.from_vkey(PETER_VKEY)
    raw64 = base64.b64encode(peter.public_key).decode()
    assert public_key_from_text(raw64) == peter.public_key
    assert public_key_from_text(PETER_VKEY) == peter.public_key
    assert public_key_from_text(f" {raw64}\n") == peter.public_key
    for bad in ["", "abc", base64.b64encode(bytes(31)).decode(), "x" * 44, "a+b+c"]:
        with pytest.raises(NoteError, match="not 32 bytes of base64"):
            public_key_from_text(bad)
    with pytest.raises(NoteError, match="does not match"):
        public_key_from_text(PETER_VKEY.replace("c74f20a3", "c74f20a4"))


def test_verify_signature_never_raises() -> None:
    s = Signer.generate("member")
    key = s.verifier().public_key
    good = base64.b64encode(s.sign(b"receipt")).decode()
    assert verify_signature(key, b"receipt", good)
    assert not verify_signature(key, b"receipt!", good)
    assert not verify_signature(Signer.generate("m").verifier().public_key, b"receipt", good)
    hostile: list[object] = ["", "!", "é", good[:-4], good + "AAAA", good.replace("=", ""), None, 5]
    for sig in hostile:
        assert not verify_signature(key, b"receipt", sig)  # type: ignore[arg-type]
    assert not verify_signature(key[:31], b"receipt", good)
    assert not verify_signature(b"", b"receipt", good)
    assert not verify_signature("key", b"receipt", good)  # type: ignore[arg-type]
