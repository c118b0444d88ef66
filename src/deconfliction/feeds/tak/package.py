"""An ATAK / WinTAK / iTAK connection data package: the zip a phone imports to join the line.

The layout is the one TAK clients import (TAK Server's and pytak's onboarding packages use it):
``MANIFEST/manifest.xml`` (a ``MissionPackageManifest`` version 2 listing every entry), and under
``certs/`` a preference file whose ``cot_streams`` entry holds the connection string
``host:port:ssl`` with the truststore and client certificate (PKCS#12) and their passwords.
Preference paths say ``cert/``: the folder the client copies certificates into on import.
"""

from __future__ import annotations

import io
import uuid
import zipfile
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

__all__ = ["CLIENT_P12", "MANIFEST", "PREF", "TRUST_P12", "Package", "data_package"]

MANIFEST = "MANIFEST/manifest.xml"
PREF = "certs/deconfliction.pref"
TRUST_P12 = "certs/truststore-deconfliction.p12"
CLIENT_P12 = "certs/member.p12"


@dataclass(frozen=True)
class Package:
    """What the package carries, besides the two PKCS#12 files."""

    description: str
    host: str
    port: int
    password: str
    """Of both PKCS#12 files."""
    callsign: str


def _entry(key: str, value: str, cls: str = "String") -> str:
    return f'    <entry key="{key}" class="class java.lang.{cls}">{escape(value)}</entry>\n'


def _pref(p: Package) -> str:
    return (
        "<?xml version='1.0' encoding='ASCII' standalone='yes'?>\n<preferences>\n"
        '  <preference version="1" name="cot_streams">\n'
        + _entry("count", "1", "Integer")
        + _entry("description0", p.description)
        + _entry("enabled0", "true", "Boolean")
        + _entry("connectString0", f"{p.host}:{p.port}:ssl")
        + _entry("caLocation0", "cert/" + TRUST_P12.rsplit("/", 1)[1])
        + _entry("caPassword0", p.password)
        + _entry("certificateLocation0", "cert/" + CLIENT_P12.rsplit("/", 1)[1])
        + _entry("clientPassword0", p.password)
        + "  </preference>\n"
        '  <preference version="1" name="com.atakmap.app_preferences">\n'
        + _entry("displayServerConnectionWidget", "true", "Boolean")
        + _entry("locationCallsign", p.callsign)
        + "  </preference>\n</preferences>\n"
    )


def _manifest(name: str) -> str:
    contents = "".join(
        f'    <Content ignore="false" zipEntry={quoteattr(e)}/>\n'
        for e in (PREF, TRUST_P12, CLIENT_P12)
    )
    return (
        '<MissionPackageManifest version="2">\n  <Configuration>\n'
        f'    <Parameter name="uid" value="{uuid.uuid4()}"/>\n'
        f"    <Parameter name={quoteattr('name')} value={quoteattr(name)}/>\n"
        '    <Parameter name="onReceiveDelete" value="true"/>\n'
        f"  </Configuration>\n  <Contents>\n{contents}  </Contents>\n"
        "</MissionPackageManifest>\n"
    )


def data_package(p: Package, trust_p12: bytes, client_p12: bytes) -> bytes:
    """The zip, stored uncompressed as the clients' own packages are."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as z:
        z.writestr(MANIFEST, _manifest(p.description))
        z.writestr(PREF, _pref(p))
        z.writestr(TRUST_P12, trust_p12)
        z.writestr(CLIENT_P12, client_p12)
    return out.getvalue()
