"""Live tracks: reports in batches, what a party may see of them, and the running detector that
keeps their conflicts (tactical, intrusion, deviation, breach) up to date."""

from deconfliction.service.tracks.reports import (
    ReportResult,
    TrackFilter,
    list_tracks,
    report_tracks,
)
from deconfliction.service.tracks.scan import (
    Scanner,
    ScanResult,
    breaches_of,
    require_scanner,
    scan,
)

__all__ = [
    "breaches_of",
    "ReportResult",
    "ScanResult",
    "Scanner",
    "TrackFilter",
    "list_tracks",
    "report_tracks",
    "require_scanner",
    "scan",
]
