"""Secrets out of the server's log: a URL's ``token=`` or ``ticket=`` value is replaced before the
line is written. uvicorn logs every WebSocket it accepts with its path and query, and a browser can
authorise a stream only in its URL.

Hand-written: a logging filter of a few lines; no library does this one job.
"""

from __future__ import annotations

import logging
import re
from typing import Any

__all__ = ["RedactSecrets", "redact", "redact_server_logs"]

_SECRET = re.compile(r"((?:^|[?&;\s])(?:token|ticket)=)[^&\s\"'#]+", re.IGNORECASE)
_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access")


def redact(text: str) -> str:
    """``text`` with the value of every ``token=`` and ``ticket=`` replaced.

    >>> redact('"WebSocket /v1/stream?token=dl_abc&after=3" [accepted]')
    '"WebSocket /v1/stream?token=[redacted]&after=3" [accepted]'
    """
    return _SECRET.sub(r"\1[redacted]", text)


def _clean(value: Any) -> Any:
    return redact(value) if isinstance(value, str) else value


class RedactSecrets(logging.Filter):
    """Rewrites a record's message and arguments; lets every record through."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = _clean(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_clean(a) for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: _clean(v) for k, v in record.args.items()}
        return True


def redact_server_logs() -> None:
    """Put the filter on the server's loggers (once, however many apps are made)."""
    for name in _LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactSecrets) for f in logger.filters):
            logger.addFilter(RedactSecrets())
