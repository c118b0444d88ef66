"""``deconfliction ARGS`` under cProfile in every thread (the event loop and the workers), for
``bench/cot.py --profile``: on SIGTERM the server stops as usual and the merged profile is
written to the file named first."""

from __future__ import annotations

import cProfile
import pstats
import signal
import sys
import threading

_profiles: list[cProfile.Profile] = []


def _start_in_thread(*_: object) -> None:
    """Set by ``threading.setprofile``: each new thread runs under its own profiler."""
    sys.setprofile(None)
    p = cProfile.Profile()
    _profiles.append(p)
    p.enable()


def main() -> None:
    out, argv = sys.argv[1], sys.argv[2:]
    from deconfliction.cli.main import app

    # uvicorn raises the SIGTERM it caught again once it has stopped: end here, not by default
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    threading.setprofile(_start_in_thread)
    main_profile = cProfile.Profile()
    _profiles.append(main_profile)
    main_profile.enable()
    try:
        app(argv, standalone_mode=False)
    finally:
        main_profile.disable()
        stats = pstats.Stats(main_profile)
        for p in _profiles[1:]:
            stats.add(p)
        stats.dump_stats(out)


if __name__ == "__main__":
    main()
