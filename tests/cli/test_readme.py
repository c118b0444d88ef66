"""The README's walkthrough runs as written, in order, on a fresh line: the commands a newcomer
types first are the ones most worth keeping true."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.test_watch import _free_port

ROOT = Path(__file__).parents[2]
_BLOCK = re.compile(r"<!-- walkthrough -->\n```sh\n(.*?)```\n<!-- /walkthrough -->", re.S)


def walkthrough() -> str:
    found = _BLOCK.search((ROOT / "README.md").read_text())
    assert found, "README.md has no walkthrough block"
    return found.group(1)


@pytest.mark.skipif(shutil.which("curl") is None, reason="the walkthrough waits with curl")
def test_the_readme_walkthrough_runs_on_a_fresh_line(tmp_path: Path) -> None:
    port = str(_free_port())
    script = walkthrough()
    assert "source .venv/bin/activate" in script and "8470" in script
    script = script.replace("source .venv/bin/activate", ":  # this interpreter's venv")
    script = script.replace("8470", port)
    env = {k: v for k, v in os.environ.items() if not k.startswith("DECONFLICTION_")} | {
        "HOME": str(tmp_path),
        "TMPDIR": str(tmp_path),
        "DECONFLICTION_CONFIG": str(tmp_path / "none.toml"),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "COLUMNS": "100",
    }
    # stop the line whatever happens to the script
    wrapped = "trap 'kill $(jobs -p) 2>/dev/null || true' EXIT\nset -euo pipefail\n" + script
    proc = subprocess.Popen(
        ["bash", "-c", wrapped], cwd=ROOT, env=env, text=True, start_new_session=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        out, err = proc.communicate(timeout=300)
    finally:  # the line and anything else the script started stop with it
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 0, f"stdout:\n{out}\nstderr:\n{err}"
    assert "caution" in out and "strategic" in out  # the air operation over the hospital
    assert "coalition acknowledged" in out
    assert "keep-clear" in out and "commitment in force" in out
    assert "checkpoint" in out.lower()
    assert "None" not in out
