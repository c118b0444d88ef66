"""Need-to-know: notices only for their party and audience; conflicts redacted past it."""

from __future__ import annotations

from tests.api.conftest import Api, notice, square


def test_notice_outside_audience_is_not_found(api: Api) -> None:
    private = api.post("blue", notice(square(40.0, 35.0), audience=["red"])).json()["notice"]
    path = f"/v1/notices/{private['id']}"
    assert api.get("blue", path).status_code == 200
    assert api.get("red", path).status_code == 200
    hidden = api.get("aid", path)
    assert hidden.status_code == 404
    missing = api.get("aid", "/v1/notices/no-such-notice")
    assert hidden.json()["message"].replace(private["id"], "X") == missing.json()[
        "message"
    ].replace("no-such-notice", "X")
    assert [n["id"] for n in api.get("aid", "/v1/notices").json()["notices"]] == []
    assert api.get("blue-observer", path).status_code == 200


def test_empty_audience_is_own_party_only(api: Api) -> None:
    own = api.post("blue", notice(square(40.0, 35.0), audience=[])).json()["notice"]
    assert api.get("red", f"/v1/notices/{own['id']}").status_code == 404
    assert api.get("blue", f"/v1/notices/{own['id']}").status_code == 200


def test_others_cannot_change_what_they_cannot_see(api: Api) -> None:
    private = api.post("blue", notice(square(40.0, 35.0), audience=[])).json()["notice"]
    path = f"/v1/notices/{private['id']}"
    assert api.client.delete(path, headers=api.headers("red")).status_code == 404


def test_conflict_told_to_both_sides_redacted_for_the_outsider(api: Api) -> None:
    secret = api.post("blue", notice(square(40.0, 35.0), audience=[])).json()["notice"]
    shared = api.post("aid", notice(square(40.05, 35.05), audience="all")).json()
    [aid_view] = shared["conflicts"]
    assert aid_view["redacted"] is True
    assert aid_view["other"] == {"party": "blue"}
    assert "distance_m" not in aid_view
    assert aid_view["window"] == {"start": "2026-11-25T13:00:00Z", "end": "2026-11-25T15:00:00Z"}
    assert secret["id"] not in str(aid_view)

    [blue_view] = api.get("blue", "/v1/conflicts").json()["conflicts"]
    assert blue_view["id"] == aid_view["id"] and blue_view["redacted"] is False
    assert blue_view["mine"]["notice"] == secret["id"]
    assert blue_view["other"]["notice"] == shared["notice"]["id"]
    assert blue_view["distance_m"] == 0

    one = api.get("aid", f"/v1/conflicts/{aid_view['id']}").json()
    assert one == aid_view
    assert api.get("red", f"/v1/conflicts/{aid_view['id']}").status_code == 404
    assert api.get("red", "/v1/conflicts").json()["conflicts"] == []


def test_tokens_are_required_and_checked(api: Api) -> None:
    assert api.client.get("/v1/notices").status_code == 401
    bad = api.client.get("/v1/notices", headers={"Authorization": "Bearer dl_nope"})
    assert bad.status_code == 401 and bad.json()["error"] == "not_authenticated"
    assert bad.headers["www-authenticate"] == "Bearer"
