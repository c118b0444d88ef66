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
from typing import Any, Literal, TypeVar

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


_Kind = Literal["plain", "enum", "instant", "audience", "window"]


@dataclass(frozen=True)
class _Field:
    name: str
    kind: _Kind
    enum: type[Enum] | None
    has_default: bool


def _read_table(cls: type) -> list[_Field]:
    hints = typing.get_type_hints(cls)
    out = []
    for f in dataclasses.fields(cls):
        hint = hints[f.name]
        args = typing.get_args(hint)
        base = next((a for a in args if a is not type(None)), hint) if args else hint
        enum = base if isinstance(base, type) and issubclass(base, Enum) else None
        kind: _Kind = (
            "enum" if enum is not None
            else "instant" if base is datetime
            else "audience" if base is Audience
            else "window" if base is TimeWindow
            else "plain"
        )  # fmt: skip
        has_default = (
            f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING
        )
        out.append(_Field(f.name, kind, enum, has_default))
    return out


_Convert = Callable[[Any], Any] | None
_Step = tuple[str, str, _Convert, str | None, bool]
"""A field's name, its key, how to convert its value, a window's second key (``""``: one
object; ``None``: not a window), and whether it has a default."""
_STEPS: dict[tuple[type, Encoding, bool], list[_Step]] = {}


def _keys(f: _Field, enc: Encoding) -> tuple[str, str | None]:
    """Where the field goes: its key, and a second key when a window takes two."""
    if f.kind == "window" and enc.split_windows:
        return enc.instant_name(f"{f.name}_start"), enc.instant_name(f"{f.name}_end")
    return (enc.instant_name(f.name) if f.kind == "instant" else f.name), None


def _steps(cls: type, enc: Encoding, reading: bool) -> list[_Step]:
    """The fields of ``cls`` as ``enc`` writes them (or, ``reading``, reads them back), worked
    out once per class and encoding."""
    steps = _STEPS.get((cls, enc, reading))
    if steps is None:
        steps = []
        for f in _read_table(cls):
            key, second = _keys(f, enc)
            convert: _Convert = {
                "plain": None,
                "enum": f.enum if reading else _enum_value,
                "instant": enc.read_instant if reading else enc.instant,
                "audience": enc.read_audience if reading else enc.audience,
                "window": enc.read_instant if reading else enc.instant,
            }[f.kind]
            window = ("" if second is None else second) if f.kind == "window" else None
            steps.append((f.name, key, convert, window, f.has_default))
        _STEPS[cls, enc, reading] = steps
    return steps


def _enum_value(value: Enum) -> Any:
    return value.value


def encode(record: Any, enc: Encoding) -> dict[str, Any]:
    """Every field of the dataclass ``record`` as ``enc`` writes it."""
    out: dict[str, Any] = {}
    for name, key, convert, second, _ in _steps(type(record), enc, reading=False):
        value = getattr(record, name)
        if value is None or convert is None:
            out[key] = value
        elif second is None:
            out[key] = convert(value)
        elif second:  # a window as two instants
            out[key], out[second] = convert(value.start), convert(value.end)
        else:  # a window as one object
            out[key] = {"start": convert(value.start), "end": convert(value.end)}
    return out


def decode(cls: type[T], data: Mapping[str, Any], enc: Encoding) -> T:
    """The dataclass ``cls`` from what :func:`encode` wrote; a field missing from ``data`` takes
    its default (records written before the field existed)."""
    values: dict[str, Any] = {}
    for name, key, convert, second, has_default in _steps(cls, enc, reading=True):
        if has_default and key not in data:
            continue
        raw = data[key]
        if second is not None:  # a window: two instants, or one object
            assert convert is not None
            start, end = (raw, data[second]) if second else (raw["start"], raw["end"])
            values[name] = TimeWindow(convert(start), convert(end))
        elif raw is None or convert is None:
            values[name] = raw
        else:
            values[name] = convert(raw)
    return cls(**values)
