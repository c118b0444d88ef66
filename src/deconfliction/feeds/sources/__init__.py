"""Feeds from the systems civil aviation and shipping already run: ADS-B receivers (SBS-1 text,
readsb ``aircraft.json``) and AIS (NMEA over TCP or UDP), each reporting as its party's member.

``door.feeds_door`` runs every stored feed inside ``serve``; ``run.run_feed`` runs one, also in
its own process (``deconfliction feed run``); the formats are read in ``wire`` (``sbs``,
``readsb``, ``ais``, ``altitude``).
"""

from deconfliction.feeds.sources.batch import Outcome, Sink, Stats, Stopped
from deconfliction.feeds.sources.door import Supervisor, feeds_door, line_sink
from deconfliction.feeds.sources.run import Backoff, run_feed

__all__ = [
    "Backoff",
    "Outcome",
    "Sink",
    "Stats",
    "Stopped",
    "Supervisor",
    "feeds_door",
    "line_sink",
    "run_feed",
]
