"""A feed run in its own process, near a receiver far from the host: its batches go to the line
over HTTP (``POST /v1/tracks``) with a member's token, as any client's reports do."""

from __future__ import annotations

from typing import Any

import httpx
import orjson

from deconfliction.feeds.sources.batch import Outcome, Sink, Stopped

__all__ = ["http_sink"]


def http_sink(http: httpx.AsyncClient) -> Sink:
    """Posts each batch with ``http`` (its base URL the line's, its headers the token's)."""

    async def send(batch: list[dict[str, Any]]) -> Outcome:
        r = await http.post(
            "/v1/tracks", content=orjson.dumps(batch),
            headers={"Content-Type": "application/json"},
        )  # fmt: skip
        if r.status_code in (401, 403):
            raise Stopped(f"the line refused the token ({r.status_code}): {r.text[:200]}")
        if r.status_code not in (200, 422):
            raise RuntimeError(f"the line answered {r.status_code}: {r.text[:200]}")
        body = r.json()
        rejected = [f"{e.get('pointer')}: {e.get('message')}" for e in body.get("errors", [])]
        return Outcome(int(body.get("accepted", 0)), int(body.get("ignored", 0)), rejected)

    return send
