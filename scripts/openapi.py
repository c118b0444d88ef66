"""Write the API's OpenAPI document to openapi.json, or with --check fail when it has drifted."""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

from deconfliction.api.app import create_app
from deconfliction.service import open_line

TARGET = Path(__file__).resolve().parent.parent / "openapi.json"


def render() -> str:
    with tempfile.TemporaryDirectory() as tmp:
        line = open_line(f"sqlite:///{tmp}/openapi.db")
        try:
            spec = create_app(line).openapi()
        finally:
            line.store.close()
    return json.dumps(spec, indent=2, sort_keys=True) + "\n"


def main() -> int:
    text = render()
    if "--check" in sys.argv:
        if not TARGET.exists() or TARGET.read_text() != text:
            print("openapi.json is out of date: run `python scripts/openapi.py`", file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(text)
    print(f"wrote {TARGET}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
