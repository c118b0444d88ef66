"""What the CLI knows of the things ids name, to write them in words: a notice's title, a track's
callsign, a thread's subject; and every id it has seen, to shorten each uniquely."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from deconfliction.cli.ids import short

__all__ = ["Names"]


@dataclass
class Names:
    """Titles, callsigns and subjects by id, learnt from what the line has answered."""

    titles: dict[str, str] = field(default_factory=dict)
    callsigns: dict[str, str] = field(default_factory=dict)
    subjects: dict[str, str] = field(default_factory=dict)
    ids: set[str] = field(default_factory=set)

    def learn_notices(self, notices: Iterable[dict[str, Any]]) -> None:
        for n in notices:
            self.ids.add(str(n["id"]))
            if n.get("title"):
                self.titles[str(n["id"])] = str(n["title"])

    def learn_tracks(self, tracks: Iterable[dict[str, Any]]) -> None:
        for t in tracks:
            if t.get("callsign"):
                self.callsigns[f"{t.get('party')}/{t.get('uid')}"] = str(t["callsign"])

    def learn(self, event: dict[str, Any]) -> None:
        """What an event tells of names and ids."""
        if isinstance(event.get("notice"), dict):
            self.learn_notices([event["notice"]])
        if isinstance(event.get("thread"), dict):
            t = event["thread"]
            self.subjects[str(t.get("id"))] = str(t.get("subject") or "")
            self.ids.add(str(t.get("id")))
        for key in ("message", "conflict"):
            if isinstance(event.get(key), dict) and event[key].get("id"):
                self.ids.add(str(event[key]["id"]))

    def short(self, ident: Any) -> str:
        return short(str(ident), self.ids)

    def notice(self, ident: Any) -> str:
        """A notice as ``"Title"``, or ``notice 3f9c21`` when its title is not known."""
        title = self.titles.get(str(ident))
        return f'"{title}"' if title else f"notice {self.short(ident)}"

    def track(self, party: Any, uid: Any) -> str:
        """A track by its callsign (and uid), or its uid."""
        callsign = self.callsigns.get(f"{party}/{uid}")
        return f"{callsign} ({uid})" if callsign and callsign != uid else str(uid)
