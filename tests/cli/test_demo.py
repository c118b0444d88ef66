"""``deconfliction demo``: what a newcomer reads after it loads, and the speeds it refuses."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from deconfliction.cli.main import app
from deconfliction.cli.scenario import read_scenario


def demo(tmp_path: Path, *args: str) -> tuple[int, str]:
    r = CliRunner().invoke(
        app,
        ["demo", "--db", f"sqlite:///{tmp_path}/demo.db", *args],
        env={"COLUMNS": "200", "NO_COLOR": "1"},
    )
    return r.exit_code, r.output


@pytest.mark.parametrize("speed", ["0", "-2", "nan", "50"])
def test_a_speed_at_or_below_zero_or_too_fast_is_refused_naming_it(
    tmp_path: Path, speed: str
) -> None:
    code, out = demo(tmp_path, "--speed", speed)
    assert code == 2 and "--speed" in out
    assert ("more than 0" if speed != "50" else "2,000 m/s") in out
    assert not (tmp_path / "demo.db").exists()  # refused before anything was loaded


def test_it_prints_the_console_how_to_sign_in_and_the_beats_at_their_speed(
    tmp_path: Path,
) -> None:
    code, out = demo(tmp_path, "--speed", "4", "--port", "8471")
    assert code == 0, out
    assert "http://127.0.0.1:8471/" in out
    assert "paste its token in the Token field and press Sign in" in out
    for party in read_scenario()["parties"]:
        row = next(line for line in out.splitlines() if f" {party['slug']} " in line)
        assert party["name"] in row and "dl_" in row  # party, name, its coordinator's token
    # every beat, with when it comes at four times the speed (the last at +300 s: +1:15)
    for beat in read_scenario()["story"]["beats"]:
        assert beat["say"][:40] in out
    assert "+1:15" in out and "+0:15" in out
    assert "not playing now" in out  # without --serve nothing plays


def test_on_a_narrow_terminal_every_token_is_printed_whole(tmp_path: Path) -> None:
    r = CliRunner().invoke(
        app,
        ["demo", "--db", f"sqlite:///{tmp_path}/demo.db"],
        env={"COLUMNS": "80", "NO_COLOR": "1"},
    )
    assert r.exit_code == 0, r.output
    table = r.output.split("Sign in as a party")[1].split("What happens")[0]
    tokens = re.findall(r"dl_[A-Za-z0-9_-]+", table)
    assert len(tokens) == len(read_scenario()["parties"])
    # dl_, the 8-character prefix and _, then 43: none cut short with "…"
    assert all(len(t) == len("dl_abcd2345_") + 43 for t in tokens), tokens
