"""A line where blue holds secrets, and a request for every operation of the OpenAPI document.

Blue (the owner) keeps a notice, a track and a thread with aid to itself; red, another party,
conflicts with blue's hidden notice and so is told a redacted conflict. The markers are strings
that appear only in what blue declared: none may reach red in any answer or event.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from deconfliction import service
from deconfliction.domain import Role
from tests.api.conftest import NOW, Api, Clock, notice, square

SECRET_TITLE = "BLUE-SECRET-NOTICE-7Q"
SECRET_SUBJECT = "BLUE-AID-SECRET-THREAD-4K"
SECRET_TEXT = "BLUE-AID-SECRET-TEXT-9Z"
SECRET_CALLSIGN = "BLUESECRET1"
SECRET_UID = "blue-secret-uid-3w"
SECRET_LON, SECRET_LAT = 40.123457, 35.678913
"""Coordinates no other declaration uses: their digits must not appear in red's answers."""


def _z(seconds: float = 0.0) -> str:
    return (NOW + timedelta(seconds=seconds)).isoformat().replace("+00:00", "Z")


@dataclass
class Scene:
    notice: str = ""
    """Blue's hidden notice (audience: blue only)."""
    shared: str = ""
    """Blue's notice for everyone."""
    conflict: str = ""
    """Red's redacted conflict with blue's hidden notice."""
    thread: str = ""
    """Blue's thread with aid (red is not in it)."""
    message: str = ""
    """Blue's request in that thread."""
    member: str = ""
    """A member of blue's whom only the host may list, revoke or rotate."""
    told_red: str = ""
    """What red was answered when it declared the notice that meets blue's hidden one."""


def secret_volume() -> dict[str, Any]:
    volume = square(SECRET_LON, SECRET_LAT, 0.05)
    volume["footprint"]["coordinates"][0][0] = [SECRET_LON, SECRET_LAT]
    return volume


def build(api: Api) -> Scene:
    """Declare blue's secrets and red's overlapping notice; return their ids."""
    scene = Scene()
    body = notice(secret_volume(), audience=[])
    body["title"] = SECRET_TITLE
    r = api.post("blue", body)
    assert r.status_code == 201, r.text
    scene.notice = r.json()["notice"]["id"]
    r = api.post("blue", notice(square(44.0, 30.0), audience="all"))
    assert r.status_code == 201, r.text
    scene.shared = r.json()["notice"]["id"]
    r = api.post("red", notice(square(SECRET_LON + 0.01, SECRET_LAT + 0.01, 0.05)))
    assert r.status_code == 201, r.text
    [conflict] = r.json()["conflicts"]
    scene.conflict = conflict["id"]
    scene.told_red = r.text
    r = api.client.post(
        "/v1/threads",
        json={"parties": ["aid"], "subject": SECRET_SUBJECT},
        headers=api.headers("blue"),
    )
    assert r.status_code == 201, r.text
    scene.thread = r.json()["id"]
    r = api.client.post(
        f"/v1/threads/{scene.thread}/messages",
        json={"kind": "note", "text": SECRET_TEXT},
        headers=api.headers("blue"),
    )
    assert r.status_code == 201, r.text
    scene.message = r.json()["id"]
    track = {
        "uid": SECRET_UID,
        "callsign": SECRET_CALLSIGN,
        "domain": "air",
        "lat": SECRET_LAT,
        "lon": SECRET_LON,
        "alt_m": 3000.0,
        "gs_mps": 120.0,
        "trk_deg": 90.0,
        "vs_mps": 0.0,
        "time": _z(),
        "audience": [],
    }
    r = api.client.post("/v1/tracks", json=[track], headers=api.headers("blue"))
    assert r.status_code in (200, 202), r.text
    scene.member = service.create_member(api.line, "blue", Role.OBSERVER, "Night shift")[0].id
    key = Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    r = api.client.put(
        "/v1/members/me/key",
        json={"public_key": base64.b64encode(key).decode()},
        headers=api.headers("blue"),
    )
    assert r.status_code == 200, r.text
    return scene


def extra_members(api: Api, clock: Clock) -> None:
    """A red observer, so that 'another party' includes a reader as well as a writer; a red
    coordinator the host revoked and one whose token ran out (the clock moves past it)."""
    line = api.line
    api.tokens["red-observer"] = service.create_member(line, "red", Role.OBSERVER)[1]
    revoked, api.tokens["revoked"] = service.create_member(line, "red", Role.COORDINATOR)
    service.revoke_member(line, revoked.id)
    brief = timedelta(seconds=1)
    api.tokens["expired"] = service.create_member(line, "red", Role.COORDINATOR, "", brief)[1]
    clock.advance(2)
