"""Rotating a member's token cuts off its TAK certificate: its open connection closes, the old
certificate is refused, and a package reissued with `member tak-package --member` joins."""

from __future__ import annotations

from pathlib import Path

from cryptography import x509

from deconfliction import service
from deconfliction.feeds.tak import pki
from tests.feeds.tak.conftest import Joined, Scene, unpack, until_stat
from tests.waiting import WAIT_S


def _refused(scene: Scene, joined: Joined) -> None:
    with scene.door.raw(joined) as again:
        again.settimeout(WAIT_S)
        try:
            assert again.recv(65536) == b""
        except (ConnectionResetError, OSError):
            pass


def _reissue(tmp: Path, scene: Scene, old: Joined) -> Joined:
    return unpack(tmp, scene.db, "again", old.party, "--member", old.member)


def test_rotation_closes_the_connection_and_refuses_the_old_certificate(
    scene: Scene, tmp_path: Path
) -> None:
    old = scene.coalition
    with scene.door.raw(old) as s:
        s.sendall(b" ")
        scene.door.answers(old)
        service.rotate_token(scene.line, old.member)
        s.settimeout(WAIT_S)
        while s.recv(65536):
            pass  # what was queued, then the close
    until_stat(scene.door, "closed: member")
    _refused(scene, old)
    until_stat(scene.door, "refused: member")
    scene.door.answers(_reissue(tmp_path, scene, old))


def test_the_certificate_carries_the_token_prefix(scene: Scene) -> None:
    cert = x509.load_pem_x509_certificate(scene.coalition.cert.read_bytes())
    member = service.get_member(scene.line, scene.coalition.member)
    sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    uris = sans.get_values_for_type(x509.UniformResourceIdentifier)
    assert pki.TOKEN_URN + str(member.token_prefix) in uris


def test_a_certificate_without_a_token_prefix_is_refused() -> None:
    subject = ((("commonName", "m-1"),), (("organizationName", "ngo"),))
    named = pki.member_of(
        {"subject": subject, "subjectAltName": (("URI", pki.MEMBER_URN + "m-1"),)}
    )
    assert named == pki.Named("m-1", "ngo", None)
    two = (
        ("URI", pki.MEMBER_URN + "m-1"),
        ("URI", pki.TOKEN_URN + "a"),
        ("URI", pki.TOKEN_URN + "b"),
    )
    assert pki.member_of({"subject": subject, "subjectAltName": two}) is None
