"""Events and conflicts in words: one line that says who did what, to which asset or notice,
how urgent, when and how far — for ``watch``, ``inbox`` and the conflict commands.

An event's body is what ``service.events`` lets the party see: a field that is missing (a
redacted side, a title never given) is left out of the sentence, never written as ``None``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
from rich.text import Text

from deconfliction.cli.names import Names
from deconfliction.cli.show import (
    audience,
    clock,
    duration,
    hhmm,
    severity,
    span,
    volumes_span,
)
from deconfliction.cli.units import distance
from deconfliction.domain.labels import is_label

__all__ = ["conflict_sides", "conflict_when", "say", "summary"]

Body = dict[str, Any]

_NOTICE_VERB = {
    "notice.created": "declared",
    "notice.updated": "updated",
    "notice.withdrawn": "withdrew",
}
_CONFLICT_VERB = {"conflict.opened": "new", "conflict.updated": "updated"}
_DEVIATION = {
    "off-corridor": "off its corridor",
    "off-schedule": "off its schedule",
    "stopped": "stopped",
    "near-volume": "near another party's volume",
}


def summary(event: Body, names: Names | None = None) -> str:
    """The event's line as plain text."""
    return say(event, names).plain


def say(event: Body, names: Names | None = None) -> Text:
    """The event's line: what happened, between whom, how urgent (in its colour)."""
    names = names or Names()
    kind = str(event.get("kind") or "")
    if isinstance(event.get("notice"), dict):
        return Text(_notice(event["notice"], kind, names))
    if isinstance(event.get("conflict"), dict):
        return _conflict(event["conflict"], kind, event.get("at"), names)
    if isinstance(event.get("thread"), dict):
        return Text(_thread(event["thread"]))
    if isinstance(event.get("message"), dict):
        return Text(_message(event["message"], names))
    if isinstance(event.get("escalation"), dict):
        return Text(_escalation(event["escalation"], names))
    if isinstance(event.get("probing"), dict):
        return Text(_probing(event["probing"], names))
    if isinstance(event.get("receipts"), list):
        return Text(_receipts(event["receipts"], names))
    if isinstance(event.get("receipt"), dict):
        return Text(_receipts([event["receipt"]], names))
    if isinstance(event.get("key"), dict):
        k = event["key"]
        said = f"{k.get('party', 'a party')} registered a signing key"
        member = str(k.get("member") or "")
        # another party's member is a label of that key alone: it names no one
        return Text(said if is_label(member) else f"{said} for member {names.short(member)}")
    rest = {k: v for k, v in event.items() if k not in ("seq", "kind", "at", "subject", "party")}
    text = orjson.dumps(rest).decode()
    return Text(text if len(text) <= 120 else text[:119] + "…")


# -- notices, threads, messages, receipts, escalations ---------------------------------------


def _notice(n: Body, kind: str, names: Names) -> str:
    what = str(n.get("kind") or "notice") + (" (protected)" if n.get("protected") else "")
    title = f'"{n["title"]}"' if n.get("title") else f"untitled, {names.short(n.get('id', ''))}"
    version = f"v{n['version']}" if n.get("version") is not None else ""
    verb = _NOTICE_VERB.get(kind)
    who = str(n.get("party") or "a party")
    window = volumes_span(n.get("volumes"))
    if verb is None:  # a notice as it stands, not a change to it
        state = f"{n['state']}, " if n.get("state") else ""
        return f"{who}: {title} ({n.get('kind', 'notice')}, {state}{version}, " + (
            f"{audience(n.get('audience'))})" + (f", {window}" if window else "")
        )
    if verb == "withdrew":
        return f"{who} withdrew {what} {title} ({version})"
    to = " to " if verb == "updated" else " "
    bits = [b for b in (window, audience(n.get("audience"))) if b]
    return f"{who} {verb} {what} {title}{to}{version}, " + ", ".join(bits)


def _thread(t: Body) -> str:
    others = [p for p in t.get("parties") or [] if p != t.get("party")]
    with_ = f" with {', '.join(others)}" if others else ""
    return f'{t.get("party", "a party")} opened thread "{t.get("subject", "")}"{with_}'


def _message(m: Body, names: Names) -> str:
    kind = str(m.get("kind") or "message")
    who = str(m.get("party") or "a party")
    if kind == "withdraw":
        of = m.get("in_reply_to")
        out = f"{who}: withdraw" + (f" the commitment of request {names.short(of)}" if of else "")
    else:
        what = m.get("request") or m.get("reply")
        out = f"{who}: {kind}" + (f" {what}" if what else "")
    if m.get("to"):
        out += f" to {m['to']}"
    if kind == "request" and m.get("deadline"):
        out += f", answer by {clock(m['deadline'])}"
    if m.get("reason"):
        out += f" ({m['reason']})"
    return out + (f': "{m["text"]}"' if m.get("text") else "")


def _escalation(e: Body, names: Names) -> str:
    if e.get("about") == "acknowledgement":
        missing = ", ".join(map(str, e.get("missing") or [])) or "a party"
        title = f'"{e["title"]}"' if e.get("title") else names.notice(e.get("notice", ""))
        version = f" v{e['version']}" if e.get("version") is not None else ""
        return (
            f"{e.get('party', 'a party')}: {title}{version} not acknowledged by {missing}, "
            f"due {clock(e.get('due'))}"
        )
    if e.get("about") == "request":
        return (
            f"request {names.short(e.get('message', ''))} from {e.get('from', 'a party')} to "
            f"{e.get('to', 'a party')} unanswered, due {clock(e.get('deadline'))}"
        )
    return f"{e.get('about', 'a deadline')} passed"


def _probing(p: Body, names: Names) -> str:
    """A party kept opening conflicts with a hidden notice: the notice's party is told which."""
    prober = str(p.get("party") or "a party")
    what = (
        f"your {names.notice(p['notice'])}"
        if p.get("notice")
        else f"a notice of {p.get('owner', 'another party')} it may not see"
    )
    opens = p.get("opens")
    count = f"{opens} conflicts" if opens is not None else "conflicts"
    return f"probing suspected: {prober} opened {count} with {what} since {clock(p.get('since'))}"


def _receipts(rs: list[Any], names: Names) -> str:
    """Receipts of one notice version or one message: who received it, who acknowledged it."""
    rs = [r for r in rs if isinstance(r, dict)]
    if not rs:
        return "receipts"
    first = rs[0]
    if first.get("message"):
        subject = names.subjects.get(str(first.get("thread")))
        on = f' on "{subject}"' if subject else ""
        what = f"message {names.short(first['message'])}{on}"
    else:
        version = f" v{first['version']}" if first.get("version") is not None else ""
        what = names.notice(first.get("notice", "")) + version
    acked = [str(r.get("party")) for r in rs if r.get("acknowledged_at")]
    got = [str(r.get("party")) for r in rs if not r.get("acknowledged_at")]
    parts = []
    if got:
        parts.append(f"{', '.join(got)} received")
    if acked:
        parts.append(f"{', '.join(acked)} acknowledged" + (" (signed)" if _signed(rs) else ""))
    return " and ".join(parts) + f" {what}"


def _signed(rs: list[Body]) -> bool:
    return any(r.get("signed") for r in rs if r.get("acknowledged_at"))


# -- conflicts -------------------------------------------------------------------------------


def _asset(side: Body, names: Names) -> str:
    """A side in words, without its party: a track (callsign or uid), else its notice."""
    if side.get("track"):
        return names.track(side.get("party"), side["track"])
    if side.get("notice"):
        return names.notice(side["notice"])
    return ""


def _whose(side: Body | None, names: Names, mine: bool) -> str:
    """``your RAF01``, ``red's "Advance"``, or ``a red track`` when red's side is hidden."""
    if not side:
        return ""
    asset = _asset(side, names)
    party = str(side.get("party") or "another party")
    if mine:
        return f"your {asset}" if asset else "yours"
    return f"{party}'s {asset}" if asset else f"{party}'s side (not shared with you)"


def conflict_sides(c: Body, names: Names | None = None) -> str:
    """Who meets whom: ``your BLU101 and red's RED201``; a deviation: whose asset strays."""
    names = names or Names()
    mine, other = c.get("mine"), c.get("other")
    kind = c.get("kind")
    if kind == "deviation":
        mover = _whose(mine, names, True) if mine else _whose(other, names, False)
        return f"{mover} {_DEVIATION.get(str(c.get('reason')), 'off its movement')}"
    if kind == "intrusion" and c.get("reason") == "breach":
        side = _whose(mine, names, True) if mine and mine.get("track") else _whose(
            other, names, False
        )  # fmt: skip
        return f"{side} in the area agreed to keep out of"
    a, b = _whose(mine, names, True), _whose(other, names, False)
    return " and ".join(x for x in (a, b) if x) or "two sides"


def conflict_when(c: Body, at: Any = None) -> str:
    """When: the window (strategic), or the time to loss of separation (tracks), counted from
    ``at`` (the event's time) or when the conflict was last updated."""
    if "window" in c:
        return span(c["window"]["start"], c["window"]["end"])
    if not c.get("t_in"):
        return ""
    now = _instant(at) or _instant(c.get("updated_at")) or _instant(c.get("detected_at"))
    t_in = _instant(c["t_in"])
    if c.get("status") in ("resolved", "expired"):
        return f"ended ({c['status']})"
    tactical = c.get("kind") == "tactical"
    if now is None or t_in is None or t_in <= now:
        out = f"{'separation lost ' if tactical else ''}since {hhmm(c['t_in'])}"
    else:
        verb = "loses separation in" if tactical else "in"
        out = f"{verb} {duration((t_in - now).total_seconds())} ({hhmm(c['t_in'])})"
    return out


def _instant(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value))
    except (TypeError, ValueError):
        return None


def _conflict(c: Body, kind: str, at: Any, names: Names) -> Text:
    verb = _CONFLICT_VERB.get(kind) or (c.get("status") if kind == "conflict.closed" else "")
    other = (c.get("other") or {}).get("party")
    mine = c.get("mine") is not None
    with_ = f" with {other}" if other and mine and c.get("kind") != "deviation" else ""
    head = " ".join(x for x in (str(verb or ""), str(c.get("kind") or ""), "conflict") if x)
    words = [f"{head}{with_}: {conflict_sides(c, names)}"]
    if when := conflict_when(c, at):
        words.append(when)
    words += _how_far(c)
    acks = [a for a in c.get("acknowledged_by") or [] if a.get("party")]
    if acks:
        words.append(
            "acknowledged by " + " and ".join(f"{a['party']} at {hhmm(a.get('at'))}" for a in acks)
        )
    return Text.assemble(severity(c.get("severity")), " ", ", ".join(words))


def _how_far(c: Body) -> list[str]:
    """The distance, in the words its kind needs; a deviation's detail says its own."""
    out = []
    if "distance_m" in c and not (c.get("kind") == "deviation" and c.get("detail")):
        if c.get("kind") == "tactical":
            at = f" at {hhmm(c['cpa'])}" if c.get("cpa") else ""
            out.append(f"closest approach {distance(c['distance_m'])}{at}")
        elif c.get("t_in"):
            out.append(f"{distance(c['distance_m'])} away now")
        else:
            out.append(f"{distance(c['distance_m'])} apart")
    if c.get("detail") and c.get("kind") in ("deviation", "intrusion"):
        out.append(str(c["detail"]))
    return out
