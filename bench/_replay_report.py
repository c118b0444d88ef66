"""The figures and lists bench/replay.py prints at the end of a replay."""

from __future__ import annotations

import argparse
from collections import Counter
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import numpy as np
from rich.console import Console
from rich.table import Table

from _replay_check import Loss, losses, nearest_airport, why_untold
from _replay_sample import FT, Sample

if TYPE_CHECKING:
    from replay import Feed

__all__ = ["print_figures"]

R_M, H_M = 9_260.0, 1_000 * FT
LOW_FT = 3_000.0
STALE_S = 60.0


def _ts(text: str | None) -> float:
    return float("nan") if not text else datetime.fromisoformat(text).timestamp()


def _hms(t: float) -> str:
    return "-" if not np.isfinite(t) else f"{datetime.fromtimestamp(t, UTC):%H:%M:%S}"


def _pct(values: list[float], q: float, scale: float = 1e3) -> str:
    return "-" if not values else f"{np.percentile(values, q) * scale:,.1f}"


def _sample_lines(s: Sample, party: np.ndarray) -> list[str]:
    t0, t1 = s.span_all_s
    usable_span = (s.t_s[-1] - s.t_s[0]) / 60
    parties = Counter(party.tolist())
    top = ", ".join(f"{p} {n:,}" for p, n in parties.most_common(6))
    return [
        f"source: {s.meta['source']} (traffic {s.meta['traffic']}, pandas {s.meta['pandas']})",
        f"sample: {s.rows_all:,} reports of {s.aircraft_all} aircraft, {_hms(t0)}-{_hms(t1)}Z "
        f"on {datetime.fromtimestamp(t0, UTC):%d %b %Y} ({(t1 - t0) / 3600:.2f} h)",
        f"replayed: {s.rows:,} reports, {s.skipped:,} of them skipped for a missing value; "
        f"{len(s):,} usable of {len(np.unique(s.icao24))} aircraft "
        f"({len(np.unique(s.callsign))} callsigns) over {usable_span:,.1f} min, "
        f"{int(s.onground.sum()):,} of them flagged on the ground (sent as air)",
        f"altitude: {s.alt_source}, ft x 0.3048 taken as metres above the WGS84 ellipsoid",
        f"parties: {len(parties)} ({top}, ...)",
    ]


def _conflict_rows(
    s: Sample, found: dict[str, dict[str, Any]], lookahead_s: float
) -> list[dict[str, Any]]:
    rows = []
    for c in found.values():
        mine, other = c.get("mine") or {}, c.get("other") or {}
        a, b = mine.get("track"), other.get("track")
        det = _ts(c["detected_at"])
        row: dict[str, Any] = {"c": c, "a": a, "b": b, "det": det, "low": None, "apt": ""}
        if a and b:
            ia, ib = s.where(a, det), s.where(b, det)
            if ia is not None and ib is not None:
                alts = (s.alt_m[ia] / FT, s.alt_m[ib] / FT)
                apts = {nearest_airport(s.lat[i], s.lon[i]) for i in (ia, ib)}
                row.update(cs_a=str(s.callsign[ia]), cs_b=str(s.callsign[ib]), alt=alts,
                           low=min(alts) < LOW_FT, both_low=max(alts) < LOW_FT,
                           apt=apts.pop() if len(apts) == 1 else "")  # fmt: skip
        row["until"] = _ts(c.get("updated_at")) + lookahead_s
        rows.append(row)
    rows.sort(key=lambda r: r["det"])
    return rows


def _told(loss: Loss, rows: list[dict[str, Any]]) -> float | None:
    """When the line first told of this pair's conflict covering the loss, if it did."""
    times = [r["det"] for r in rows if {r["a"], r["b"]} == {loss.a, loss.b}
             and r["det"] <= loss.end_s and r["until"] >= loss.start_s]  # fmt: skip
    return min(times) if times else None


def print_figures(
    console: Console,
    s: Sample,
    party: np.ndarray,
    feed: Feed,
    found: dict[str, dict[str, Any]],
    failures: int,
    args: argparse.Namespace,
) -> None:
    console.rule("Sample")
    for line in _sample_lines(s, party):
        console.print(line)

    scans = [x for x in feed.scans if x.tracks > 0]
    el = [x.elapsed_s for x in scans]
    kinds = Counter(c["kind"] for c in found.values())
    status = Counter(c["status"] for c in found.values())
    t = Table(title="Replay figures", show_header=True)
    t.add_column("figure")
    t.add_column("value", justify="right")
    t.add_row("simulated time replayed / wall time",
              f"{feed.sim_s / 60:,.1f} min / {feed.wall_s:,.1f} s "
              f"({feed.sim_s / feed.wall_s:,.1f}x, asked {args.speed:g}x)")  # fmt: skip
    t.add_row("reports sent (batches)", f"{feed.sent:,} ({feed.batches:,}; median "
              f"{np.median(feed.batch_size) if feed.batch_size else 0:.0f} reports)")  # fmt: skip
    t.add_row(
        "accepted / ignored / rejected", f"{feed.accepted:,} / {feed.ignored:,} / {feed.rejected:,}"
    )
    t.add_row("HTTP statuses", ", ".join(f"{k}: {v:,}" for k, v in sorted(feed.status.items())))
    t.add_row("batch latency p50 / p90 / p99 / max, ms", " / ".join(
        _pct(feed.latency_s, q) for q in (50, 90, 99, 100)))  # fmt: skip
    t.add_row("reports/s sent (accepted/s)", f"{feed.sent / feed.wall_s:,.0f} "
              f"({feed.accepted / feed.wall_s:,.0f})")  # fmt: skip
    t.add_row("feeder ticks (late: no sleep left)", f"{feed.ticks:,} ({feed.overruns:,})")
    t.add_row("scans with tracks (all seen)", f"{len(scans):,} ({len(feed.scans):,}); "
              f"failures {failures}")  # fmt: skip
    t.add_row(
        "scan duration p50 / p90 / p99 / max, ms",
        " / ".join(_pct(el, q) for q in (50, 90, 99, 100)),
    )
    n_live = [x.tracks for x in scans] or [0]
    t.add_row("live tracks per scan, median / max", f"{np.median(n_live):.0f} / {max(n_live)}")
    opened = sum(len(x.opened) for x in feed.scans)
    closed = sum(len(x.closed) for x in feed.scans)
    t.add_row("conflicts opened / closed over the scans", f"{opened:,} / {closed:,}")
    ev = feed.events
    n_ev = sum(ev.values())
    t.add_row("conflict events in the log: opened / updated / closed",
              f"{ev['conflict.opened']:,} / {ev['conflict.updated']:,} / "
              f"{ev['conflict.closed']:,}")  # fmt: skip
    t.add_row("conflict events per conflict opened",
              f"{n_ev / max(ev['conflict.opened'], 1):,.1f}")  # fmt: skip
    t.add_row("conflicts listed (GET /v1/conflicts)", f"{len(found):,}: "
              + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())) + "; "
              + ", ".join(f"{k} {v}" for k, v in sorted(status.items())))  # fmt: skip
    console.print(t)
    for msg, n in feed.errors.most_common(10):
        console.print(f"[yellow]{n:,} x {msg}[/yellow]")
    for msg in feed.scan_log[:10]:
        console.print(f"[red]log: {msg}[/red]")

    rows = _conflict_rows(s, found, args.lookahead)
    ct = Table(title=f"Conflicts ({len(rows)}), in the order detected; altitudes at detection")
    for col in ("#", "aircraft A (party)", "aircraft B (party)", "ft A / B", "detected", "t_in",
                "cpa", "dCPA m (NM)", "status", "near"):  # fmt: skip
        ct.add_column(col, justify="right" if col in ("#", "ft A / B", "dCPA m (NM)") else "left")
    for k, r in enumerate(rows, 1):
        c = r["c"]
        side = lambda cs, uid, p: f"{cs or '?'} {uid or '?'} ({p})"  # noqa: E731
        d = c.get("distance_m")
        ct.add_row(
            str(k), side(r.get("cs_a"), r["a"], c["mine"]["party"]),
            side(r.get("cs_b"), r["b"], (c.get("other") or {}).get("party")),
            "-" if "alt" not in r else f"{r['alt'][0]:,.0f} / {r['alt'][1]:,.0f}",
            _hms(r["det"]), _hms(_ts(c.get("t_in"))), _hms(_ts(c.get("cpa"))),
            "-" if d is None else f"{d:,.0f} ({d / 1852:.1f})", c["status"], r["apt"],
        )  # fmt: skip
    console.print(ct)
    pairs = Counter(frozenset((r["a"], r["b"])) for r in rows)
    again = sum(n > 1 for n in pairs.values())
    most = max(pairs.values(), default=0)
    if most > 1:
        pair, _ = pairs.most_common(1)[0]
        times = ", ".join(_hms(r["det"]) for r in rows if frozenset((r["a"], r["b"])) == pair)
        console.print(f"most conflicts on one pair: {'/'.join(sorted(pair))}, detected {times}")
    console.print(f"{len(rows)} conflicts on {len(pairs)} pairs of aircraft; {again} pairs had "
                  f"more than one (resolved, then found again; at most {most})")  # fmt: skip
    low = sum(bool(r["low"]) for r in rows)
    both = sum(bool(r.get("both_low")) for r in rows)
    apt = Counter(r["apt"] for r in rows if r["apt"])
    console.print(f"{low} of {len(rows)} involve an aircraft below {LOW_FT:,.0f} ft at detection "
                  f"({both} with both below); both within 25 km of one airport: "
                  + (", ".join(f"{k} {v}" for k, v in apt.most_common()) or "none"))  # fmt: skip

    real, same = losses(s, party, R_M, H_M)
    lt = Table(title="Real losses of 5 NM / 1,000 ft in the recorded data, different parties")
    for col in ("#", "pair", "start", "end", "s", "min NM (dz ft)", "lowest ft", "told", "lead s"):
        lt.add_column(col, justify="left" if col in ("pair", "told") else "right")
    leads: list[float] = []
    for k, x in enumerate(real, 1):
        when = _told(x, rows)
        lead = None if when is None else x.start_s - when
        if lead is not None:
            leads.append(lead)
        lt.add_row(str(k), f"{x.a}/{x.b}", _hms(x.start_s), _hms(x.end_s), str(x.seconds),
                   f"{x.min_h_m / 1852:.2f} ({x.v_at_min_m / FT:,.0f})", f"{x.lowest_ft:,.0f}",
                   "-" if when is None else _hms(when),
                   "-" if lead is None else f"{lead:,.0f}")  # fmt: skip
    console.print(lt)
    scan_at = np.array([x.at.timestamp() for x in feed.scans])
    # a scan reads the tracks within its run; reports posted until its end may be in it
    read_by = scan_at + np.array([x.elapsed_s for x in feed.scans]) * args.speed
    ut = Table(title="Never told: what the line saw at the scans during the loss")
    for col in ("#", "pair", "s", "min NM", "lowest ft", "why", "what the scan saw"):
        ut.add_column(col, justify="right" if col in ("#", "s", "min NM", "lowest ft") else "left")
    reasons: Counter[str] = Counter()
    for k, x in enumerate(real, 1):
        if _told(x, rows) is not None:
            continue
        why, saw = why_untold(x, s, scan_at, read_by, feed.posted, feed.stored, args.lookahead,
                              STALE_S)  # fmt: skip
        reasons[why] += 1
        ut.add_row(str(k), f"{x.a}/{x.b}", str(x.seconds), f"{x.min_h_m / 1852:.2f}",
                   f"{x.lowest_ft:,.0f}", why, saw)  # fmt: skip
    console.print(ut)
    console.print("never told: " + (", ".join(f"{k} {v}" for k, v in reasons.most_common())
                                    or "none"))  # fmt: skip
    realized = sum(any({r["a"], r["b"]} == {x.a, x.b} and r["det"] <= x.end_s
                       and r["until"] >= x.start_s for x in real) for r in rows)  # fmt: skip
    before = [v for v in leads if v > 0]
    during = [-v for v in leads if v <= 0]
    console.print(
        f"{len(real)} real losses between parties: {len(before)} told before they began "
        f"(median {np.median(before) if before else 0:.0f} s ahead), {len(during)} told once "
        f"under way (median {np.median(during) if during else 0:.0f} s late), "
        f"{len(real) - len(leads)} never told; "
        f"{same} pairs of one party also lost separation (not looked for: the detector pairs "
        f"different parties only). Of {len(rows)} conflicts told, {realized} came true "
        f"(a real loss between detection and the last scan that saw it + {args.lookahead:g} s)."
    )
