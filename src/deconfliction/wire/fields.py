"""Field tables: a domain record (a frozen dataclass) as a flat mapping, one entry per field.

A conflict is kept in full in two places — the event log's bodies (JSON) and the store's rows —
and both are this one table read with a different ``Encoding`` of instants, windows, audiences
and names, so a field added to ``TrackConflict`` reaches both without being listed twice.
Hand-written because the two encodings differ in names (``detected_at`` is the column
``detected_us``) and in how a window lies (one JSON object, or two columns).
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any, TypeVar

from deconfliction.domain.notice import Audience
from deconfliction.domain.volume import TimeWindow

__all__ = ["Encoding", "decode", "encode"]

T = TypeVar("T")


@dataclass(frozen=True)
class Encoding:
    """How one format writes the values a record holds besides plain numbers and strings."""

    instant: Callable[[datetime], Any]
    read_instant: Callable[[Any], datetime]
    audience: Callable[[Audience], Any]
    read_audience: Callable[[Any], Audience]
    instant_suffix: str = ""
    """With a suffix, an instant field ``x_at`` (or ``x``) is keyed ``x`` + suffix: the store's
    ``detected_at`` is the column ``detected_us``."""
    split_windows: bool = False
    """A window as two instants ``<name>_start``/``<name>_end`` rather than one object."""

    def instant_name(self, name: str) -> str:
        return name.removesuffix("_at") + self.instant_suffix if self.instant_suffix else name


@dataclass(frozen=True)
class _Field:
    name: str
    kind: str  # "plain", "enum", "instant", "audience", "window"
    optional: bool
    enum: type[Enum] | None
    default: Any


_TABLES: dict[type, tuple[_Field, ...]] = {}


def _table(cls: type) -> tuple[_Field, ...]:
    table = _TABLES.get(cls)
    if table is None:
        table = _TABLES[cls] = _read_table(cls)
    return table


def _read_table(cls: type) -> tuple[_Field, ...]:
    hints = typing.get_type_hints(cls)
    out = []
    for f in dataclasses.fields(cls):
        hint = hints[f.name]
        args = typing.get_args(hint)
        optional = type(None) in args
        base = next((a for a in args if a is not type(None)), hint) if args else hint
        enum = base if isinstance(base, type) and issubclass(base, Enum) else None
        kind = (
            "enum" if enum is not None
            else "instant" if base is datetime
            else "audience" if base is Audience
            else "window" if base is TimeWindow
            else "plain"
        )  # fmt: skip
        default = f.default if f.default is not dataclasses.MISSING else dataclasses.MISSING
        out.append(_Field(f.name, kind, optional, enum, default))
    return tuple(out)


def encode(record: Any, enc: Encoding) -> dict[str, Any]:
    """Every field of the dataclass ``record`` as ``enc`` writes it."""
    out: dict[str, Any] = {}
    for f in _table(type(record)):
        value = getattr(record, f.name)
        if value is None or f.kind == "plain":
            key = enc.instant_name(f.name) if f.kind == "instant" else f.name
            out[key] = value
        elif f.kind == "enum":
            out[f.name] = value.value
        elif f.kind == "instant":
            out[enc.instant_name(f.name)] = enc.instant(value)
        elif f.kind == "audience":
            out[f.name] = enc.audience(value)
        elif enc.split_windows:
            out[enc.instant_name(f"{f.name}_start")] = enc.instant(value.start)
            out[enc.instant_name(f"{f.name}_end")] = enc.instant(value.end)
        else:
            out[f.name] = {"start": enc.instant(value.start), "end": enc.instant(value.end)}
    return out


def decode(cls: type[T], data: Mapping[str, Any], enc: Encoding) -> T:
    """The dataclass ``cls`` from what :func:`encode` wrote; a field missing from ``data`` takes
    its default (records written before the field existed)."""
    values: dict[str, Any] = {}
    for f in _table(cls):
        if f.kind == "window":
            if enc.split_windows:
                start = data[enc.instant_name(f"{f.name}_start")]
                end = data[enc.instant_name(f"{f.name}_end")]
            else:
                start, end = data[f.name]["start"], data[f.name]["end"]
            values[f.name] = TimeWindow(enc.read_instant(start), enc.read_instant(end))
            continue
        key = enc.instant_name(f.name) if f.kind == "instant" else f.name
        if key not in data and f.default is not dataclasses.MISSING:
            continue
        raw = data[key]
        if raw is None:
            values[f.name] = None
        elif f.kind == "enum":
            assert f.enum is not None
            values[f.name] = f.enum(raw)
        elif f.kind == "instant":
            values[f.name] = enc.read_instant(raw)
        elif f.kind == "audience":
            values[f.name] = enc.read_audience(raw)
        else:
            values[f.name] = raw
    return cls(**values)
