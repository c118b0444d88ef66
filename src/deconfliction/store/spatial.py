"""The 4-D box index: an R*Tree on SQLite, a GiST-indexed ``cube`` on PostgreSQL.

Index coordinates are longitude and latitude in degrees, altitude in metres and time in
**minutes since 2000-01-01T00:00Z** (``Box4`` carries epoch seconds; the offset keeps the R*Tree's
32-bit floats near a minute of resolution until ~2030, and it rounds outward, so it stays
conservative). Every box of volume ``v`` has index row id ``v * BOX_STRIDE + k``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cache
from typing import Any

from deconfliction.errors import InvalidInput
from deconfliction.geo.box import Box4

__all__ = [
    "BOX_STRIDE",
    "box_rows",
    "index_coords",
    "insert_sql",
    "matching_volumes_sql",
    "query_params",
]

BOX_STRIDE = 256
"""Index row ids per volume: a volume may have at most this many boxes."""

_T0_S = 946_684_800.0  # 2000-01-01T00:00:00Z in epoch seconds


def insert_sql(dialect: str) -> str:
    """The driver-level INSERT for rows from ``box_rows`` (positional parameters)."""
    if dialect == "postgresql":
        return "INSERT INTO volume_box (id, volume_id, box) VALUES (%s, %s, CAST(%s AS cube))"
    return "INSERT INTO volume_box VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"


def index_coords(box: Box4, pointer: str = "/boxes") -> tuple[float, ...]:
    """The box in index coordinates, lower corner then upper corner.

    Both conversions (minutes since 2000) are monotonic, so closed-interval overlap between a
    stored box and a query box is preserved exactly.
    """
    lo = (box.lon_min, box.lat_min, box.alt_min, (box.t_min - _T0_S) / 60.0)
    hi = (box.lon_max, box.lat_max, box.alt_max, (box.t_max - _T0_S) / 60.0)
    if not all(a <= b for a, b in zip(lo, hi, strict=True)):
        raise InvalidInput(f"index box {box} has a lower bound above its upper bound", pointer)
    return lo + hi


def box_rows(
    dialect: str, volume_id: int, boxes: Sequence[Box4], pointer: str = "/boxes"
) -> Iterable[tuple[Any, ...]]:
    """The index rows of one volume, positional, for ``insert_sql(dialect)``."""
    if len(boxes) > BOX_STRIDE:
        raise InvalidInput(f"a volume may have at most {BOX_STRIDE} index boxes", pointer)
    base = volume_id * BOX_STRIDE
    for k, box in enumerate(boxes):
        c = index_coords(box, f"{pointer}/{k}")
        if dialect == "postgresql":
            text = f"({c[0]!r},{c[1]!r},{c[2]!r},{c[3]!r}),({c[4]!r},{c[5]!r},{c[6]!r},{c[7]!r})"
            yield (base + k, volume_id, text)
        else:
            # R*Tree column order: id, then min and max of each dimension, then +volume_id.
            yield (base + k, c[0], c[4], c[1], c[5], c[2], c[6], c[3], c[7], volume_id)


_NAMES = "abcdefgh"


def query_params(boxes: Sequence[Box4]) -> dict[str, float]:
    """Bind values for ``matching_volumes_sql(dialect, len(boxes))``."""
    params: dict[str, float] = {}
    for i, box in enumerate(boxes):
        for name, value in zip(_NAMES, index_coords(box), strict=True):
            params[f"{name}{i}"] = value
    return params


@cache
def matching_volumes_sql(dialect: str, n: int) -> str:
    """SQL selecting ``volume_id`` of every index box meeting any of ``n`` query boxes."""
    parts = []
    for i in range(n):
        a, b, c, d, e, f, g, h = (f":{name}{i}" for name in _NAMES)
        if dialect == "postgresql":
            parts.append(
                "SELECT volume_id FROM volume_box WHERE box && cube("
                f"CAST(ARRAY[{a}, {b}, {c}, {d}] AS float8[]), "
                f"CAST(ARRAY[{e}, {f}, {g}, {h}] AS float8[]))"
            )
        else:
            parts.append(
                "SELECT volume_id FROM volume_box WHERE "
                f"lon_max >= {a} AND lat_max >= {b} AND alt_max >= {c} AND t_max >= {d} AND "
                f"lon_min <= {e} AND lat_min <= {f} AND alt_min <= {g} AND t_min <= {h}"
            )
    return " UNION ALL ".join(parts)
