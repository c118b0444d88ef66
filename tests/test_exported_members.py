"""The package's public surface is deliberate: every exported name exists and nothing leaks."""

from __future__ import annotations

import deconfliction


def test_all_names_resolve_and_are_listed_once() -> None:
    assert len(deconfliction.__all__) == len(set(deconfliction.__all__))
    for name in deconfliction.__all__:
        assert hasattr(deconfliction, name), name


def test_public_names() -> None:
    public = {n for n in dir(deconfliction) if not n.startswith("_")}
    subpackages = {
        "api", "bus", "cli", "config", "demo", "detect", "domain", "errors", "feeds", "geo",
        "record", "service", "store", "wire",
    }  # fmt: skip
    assert public - subpackages == set(deconfliction.__all__) - {"__version__"}
