"""The line's own certificate authority for TAK: a root kept owner-only beside the line's signing
key, the TAK listener's server certificate, and member certificates that name their member.

TAK clients join a server by mutual TLS with certificates from the server's CA (TAK Server and
FreeTAKServer work this way). Keys are RSA: ATAK, WinTAK and iTAK all take RSA certificates in
PKCS#12 files, and older iTAK and Android releases read only the legacy PKCS#12 encryption
(3DES, SHA-1 MAC), which is what the client files use; their password keeps nothing secret on
its own, the phone's storage does. ``cryptography`` does the X.509 work; nothing here is hand-made.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import secrets
import socket
import ssl
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from deconfliction.domain import Member

__all__ = [
    "Authority",
    "MEMBER_URN",
    "TOKEN_URN",
    "Named",
    "client_pkcs12",
    "issue_member",
    "load_or_create",
    "member_of",
    "server_context",
    "trust_pkcs12",
]

MEMBER_URN = "urn:deconfliction:member:"
"""A member certificate's SAN URI: this and the member's id (its CN is the id too)."""
TOKEN_URN = "urn:deconfliction:token:"
"""A member certificate's second SAN URI: this and the member's token prefix when it was issued;
a rotation changes the prefix, so the hub refuses the certificate from then on."""
_CA_LIFE = timedelta(days=3650)
_SERVER_LIFE = timedelta(days=366)
_MEMBER_LIFE = timedelta(days=366)


@dataclass(frozen=True)
class Named:
    """What a verified member certificate names: member id, party, and the token prefix it was
    issued under (``None`` on certificates made before rotation cut certificates off)."""

    member: str
    party: str
    token: str | None


@dataclass(frozen=True)
class Authority:
    """The CA's certificate and key."""

    cert: x509.Certificate
    key: rsa.RSAPrivateKey

    def cert_pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)


def _name(common: str, org: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, org[:64] or "-"),
            x509.NameAttribute(NameOID.COMMON_NAME, common[:64] or "-"),
        ]
    )


def _rsa(bits: int = 2048) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def _make_ca(line_name: str, now: datetime) -> Authority:
    key = _rsa(3072)
    name = _name(f"{line_name} TAK CA"[:64], "Deconfliction Line")
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + _CA_LIFE)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return Authority(cert, key)


def _read(path: Path) -> Authority | None:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    cert = x509.load_pem_x509_certificate(data)
    key = serialization.load_pem_private_key(data, password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError(f"{path} does not hold an RSA key")
    return Authority(cert, key)


def load_or_create(path: Path, line_name: str, now: datetime) -> Authority:
    """The CA in ``path`` (certificate and key, PEM), made owner-only if absent; when two
    processes make it at once, one wins and both use it."""
    found = _read(path)
    if found is not None:
        return found
    made = _make_ca(line_name, now)
    pem = made.cert_pem() + made.key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    try:
        fd = os.open(temp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(pem)
            out.flush()
            os.fsync(out.fileno())
        with contextlib.suppress(FileExistsError):  # a link never replaces another's CA
            os.link(temp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
    found = _read(path)
    assert found is not None
    return found


def _leaf(
    ca: Authority,
    subject: x509.Name,
    names: list[x509.GeneralName],
    usage: x509.ObjectIdentifier,
    now: datetime,
    until: datetime,
) -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
    key = _rsa()
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(min(until, ca.cert.not_valid_after_utc))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()),
            critical=False,
        )
        .sign(ca.key, hashes.SHA256())
    )
    return cert, key


def issue_member(
    ca: Authority, member: Member, now: datetime
) -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
    """A client certificate for ``member``: CN its id, O its party, SAN its URN and its token
    prefix (a rotation cuts the certificate off); it ends when the token does (or in a year)."""
    if not member.token_prefix:
        raise ValueError("this member's token has no prefix: rotate it first")
    until = member.expires_at or now + _MEMBER_LIFE
    return _leaf(
        ca,
        _name(member.id, member.party),
        [
            x509.UniformResourceIdentifier(MEMBER_URN + member.id),
            x509.UniformResourceIdentifier(TOKEN_URN + member.token_prefix),
        ],
        ExtendedKeyUsageOID.CLIENT_AUTH,
        now,
        until,
    )


def _server_names(extra: tuple[str, ...]) -> list[x509.GeneralName]:
    names: list[x509.GeneralName] = []
    seen: set[str] = set()
    for n in ("localhost", "127.0.0.1", "::1", socket.gethostname(), socket.getfqdn(), *extra):
        if not n or n in seen or n in ("0.0.0.0", "::"):
            continue
        seen.add(n)
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(n)))
        except ValueError:
            names.append(x509.DNSName(n))
    return names


def server_context(ca: Authority, names: tuple[str, ...], now: datetime) -> ssl.SSLContext:
    """A TLS server context with a fresh certificate from ``ca`` for this machine's names and
    ``names``, asking every client for a certificate of ``ca`` (TLS 1.2 or newer)."""
    cert, key = _leaf(
        ca,
        _name("deconfliction-tak", "Deconfliction Line"),
        _server_names(names),
        ExtendedKeyUsageOID.SERVER_AUTH,
        now,
        now + _SERVER_LIFE,
    )
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.verify_mode = ssl.CERT_REQUIRED
    ctx.load_verify_locations(cadata=ca.cert_pem().decode())
    # load_cert_chain reads files only: a private directory, gone once read
    with tempfile.TemporaryDirectory(prefix="tak-") as d:
        chain, private = Path(d) / "chain.pem", Path(d) / "key.pem"
        chain.write_bytes(cert.public_bytes(serialization.Encoding.PEM) + ca.cert_pem())
        fd = os.open(private, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(
                key.private_bytes(
                    serialization.Encoding.PEM,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                )
            )
        ctx.load_cert_chain(chain, private)
    return ctx


def member_of(peercert: dict[str, Any] | None) -> Named | None:
    """What a verified peer certificate (``SSLSocket.getpeercert()``) names, or ``None`` for a
    certificate that names no member (or names more than one member or token)."""
    if not peercert:
        return None
    fields = {k: v for rdn in peercert.get("subject", ()) for k, v in rdn}
    urns = [v for k, v in peercert.get("subjectAltName", ()) if k == "URI"]
    member = fields.get("commonName")
    tokens = [u[len(TOKEN_URN) :] for u in urns if u.startswith(TOKEN_URN)]
    if not member or [u for u in urns if not u.startswith(TOKEN_URN)] != [MEMBER_URN + member]:
        return None
    if len(tokens) > 1 or (tokens and not tokens[0]):
        return None
    return Named(member, fields.get("organizationName", ""), tokens[0] if tokens else None)


def _legacy(password: str) -> serialization.KeySerializationEncryption:
    return (
        serialization.PrivateFormat.PKCS12.encryption_builder()
        .kdf_rounds(50_000)
        .key_cert_algorithm(pkcs12.PBES.PBESv1SHA1And3KeyTripleDESCBC)
        .hmac_hash(hashes.SHA1())
        .build(password.encode())
    )


def client_pkcs12(
    ca: Authority,
    cert: x509.Certificate,
    key: rsa.RSAPrivateKey,
    password: str,
    name: str,
) -> bytes:
    """The member's certificate, key and the CA as one PKCS#12 file."""
    return pkcs12.serialize_key_and_certificates(
        name.encode(), key, cert, [ca.cert], _legacy(password)
    )


def trust_pkcs12(ca: Authority, password: str) -> bytes:
    """The CA alone as a PKCS#12 trust store (what TAK clients call the truststore)."""
    return pkcs12.serialize_key_and_certificates(
        b"deconfliction-ca", None, None, [ca.cert], _legacy(password)
    )
