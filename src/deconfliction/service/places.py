"""Where conflicts are, as a party may see them: the footprints of the volumes and the positions
of the tracks on the sides it is told of in clear (for the GeoJSON answers)."""

from __future__ import annotations

from collections.abc import Sequence

from deconfliction.domain import Footprint, Member, Notice, Track
from deconfliction.domain.view import ConflictView, Side
from deconfliction.service.line import Line
from deconfliction.store.base import Tx

__all__ = ["Place", "conflict_places"]

Place = Footprint | Track
"""A volume's footprint, or a track's latest state."""


def _sides(v: ConflictView) -> list[Side]:
    # a redacted side names neither notice nor track, so it never reaches the store
    return [s for s in (v.mine, v.other) if s is not None]


def conflict_places(
    line: Line, actor: Member, views: Sequence[ConflictView]
) -> list[tuple[Place, ...]]:
    """For each view, its places in clear: each side's volume footprint (at the version the
    conflict names, else the current one) and track position, where the actor's party may see
    that notice or track now too."""
    party = actor.party
    sides = [_sides(v) for v in views]
    wanted = {s.notice for ss in sides for s in ss if s.notice is not None and s.volume is not None}
    by_party: dict[str, set[str]] = {}
    for s in (s for ss in sides for s in ss if s.track is not None):
        by_party.setdefault(s.party, set()).add(str(s.track))
    with line.store.read() as tx:
        notices = _notices(tx, sides, sorted(wanted))
        tracks = {
            (p, uid): t
            for p, uids in by_party.items()
            for uid, t in tx.get_tracks(p, sorted(uids)).items()
        }
    out: list[tuple[Place, ...]] = []
    for ss in sides:
        places: list[Place] = []
        for s in ss:
            track = tracks.get((s.party, s.track or ""))
            if track is not None and (track.party == party or track.audience.includes(party)):
                places.append(track)
            notice = notices.get((s.notice or "", s.version))
            if notice is None or s.volume is None or not 0 <= s.volume < len(notice.volumes):
                continue
            if notice.party == party or notice.audience.includes(party):
                places.append(notice.volumes[s.volume].footprint)
        out.append(tuple(places))
    return out


def _notices(
    tx: Tx, sides: Sequence[Sequence[Side]], ids: Sequence[str]
) -> dict[tuple[str, int | None], Notice]:
    """The notices the sides name, by (id, version), the current one also under version None."""
    current = tx.get_notices(ids)
    out: dict[tuple[str, int | None], Notice] = {}
    for n in current.values():
        out[(n.id, None)] = out[(n.id, n.version)] = n
    older = {
        s.notice
        for ss in sides
        for s in ss
        if s.notice in current and s.version is not None and (s.notice, s.version) not in out
    }
    for notice_id in sorted(n for n in older if n is not None):
        for n in tx.get_notice_versions(notice_id):
            out.setdefault((n.id, n.version), n)
    return out
