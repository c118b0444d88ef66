"""``serve --sqlite-sync`` takes full or normal, nothing else."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from deconfliction.cli.main import app


def test_serve_refuses_an_unknown_sync_setting(tmp_path: Path) -> None:
    r = CliRunner().invoke(app, ["serve", "--db", str(tmp_path / "x.db"), "--sqlite-sync", "off"])
    assert r.exit_code == 2
    assert "full or normal" in " ".join(r.output.split())
