"""The peer of bench/record.py, from our side: pymerkle in its own venv (bench/.venv-merkle,
git-ignored, made on first run), run as a subprocess (bench/_record_peer.py), and its answers
held against ours over the same leaves.

pymerkle is a benchmark-only peer, never a dependency of the project.
"""

from __future__ import annotations

import json
import struct
import subprocess
import sys
from pathlib import Path
from typing import Any

from rich.console import Console

from deconfliction.record.memory import MemoryTree

__all__ = ["PEER_SPEC", "cross_check", "ensure_peer", "run_peer", "write_entries"]

BENCH = Path(__file__).resolve().parent
PEER_DIR = BENCH / ".venv-merkle"
PEER_SPEC = "pymerkle==7.0.0"


def ensure_peer(console: Console) -> Path:
    """bench/.venv-merkle with pymerkle installed (made once); its python."""
    py = PEER_DIR / "bin" / "python"
    want = PEER_SPEC.split("==")[1]
    check = [str(py), "-c", "import importlib.metadata as m; print(m.version('pymerkle'))"]
    if py.exists() and subprocess.run(check, capture_output=True, text=True).stdout.strip() == want:
        return py
    log = BENCH / ".venv-merkle.install.log"
    with console.status(f"installing {PEER_SPEC} into {PEER_DIR} (once; log {log.name})"):
        with log.open("w") as out:
            for cmd in (
                [sys.executable, "-m", "venv", "--clear", str(PEER_DIR)],
                [str(py), "-m", "pip", "install", "--disable-pip-version-check", PEER_SPEC],
            ):
                subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, check=True)
    return py


def run_peer(console: Console, py: Path, *args: str, label: str) -> dict[str, Any]:
    """One run of bench/_record_peer.py; its JSON answer."""
    with console.status(f"pymerkle: {label}"):
        done = subprocess.run(
            [str(py), str(BENCH / "_record_peer.py"), *args], capture_output=True, text=True
        )
    if done.returncode != 0:
        raise RuntimeError(f"_record_peer.py {args[0]} failed:\n{done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def write_entries(path: Path, entries: list[bytes]) -> None:
    """The peer's input: each entry as a 4-byte big-endian length and its bytes."""
    path.write_bytes(b"".join(struct.pack(">I", len(e)) + e for e in entries))


def cross_check(backend: str, got: dict[str, Any], mem: MemoryTree) -> str:
    """pymerkle's root and sampled proofs against ours over the same leaves, in a sentence.

    pymerkle's inclusion path starts with the leaf itself; after it, it is RFC 9162's PATH.
    Its consistency proof is its own (a leaf or subtree to start from, then hashes with a rule
    and a mask saying which fold into the old root), so only some equal RFC 9162's PROOF.
    """
    size = got["size"]
    root_ok = mem.root(size).hex() == got["root"]
    inc = got["inclusion_samples"]
    con = got["consistency_samples"]
    inc_ok = sum([h.hex() for h in mem.inclusion_proof(i - 1, z)] == p[1:] for i, z, p in inc)
    con_ok = sum([h.hex() for h in mem.consistency_proof(o, z)] == p for o, z, p in con)
    return (
        f"pymerkle {backend} at {size:,}: root {'EQUALS' if root_ok else 'DIFFERS FROM'} ours; "
        f"inclusion paths (after its leaf) equal ours in {inc_ok}/{len(inc)}; consistency proofs "
        f"equal RFC 9162's in {con_ok}/{len(con)} (its own format, verified by pymerkle)"
    )
