"""Secrets out of the server's log: whatever a log line would say of a token or a ticket is
replaced before the line is written.

What is replaced: a URL's ``token=`` or ``ticket=`` value (uvicorn logs every path it serves
with its query); whatever follows ``Bearer`` (a header quoted in an error, or in uvicorn's and
websockets' trace of a request's headers); and anything shaped like a line's token, ticket or
scrape token (``dl_...``, ``dlt_...``, ``dlm_...``) wherever it stands, in the message, its
arguments or a traceback. A token's public prefix (``dl_abcd2345``) is kept: it says which
member, and opens nothing.

Hand-written: a logging filter of a few lines; no library does this one job.
"""

from __future__ import annotations

import logging
import re
from typing import Any

__all__ = ["LOGGERS", "RedactSecrets", "redact", "redact_server_logs"]

_IN_URL = re.compile(r"((?:^|[?&;\s])(?:token|ticket)=)[^&\s\"'#]+", re.IGNORECASE)
_BEARER = re.compile(r"(\bBearer\s+)(?!\[redacted\])[^\s\"',)\]}]+", re.IGNORECASE)
_SHAPED = re.compile(r"\b(dl_[a-z2-7]{8}_|dl[tm]?_)[A-Za-z0-9_-]{20,}")
LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi", "websockets")
"""The server's loggers: uvicorn's, and websockets' (which uvicorn hands its own)."""


def redact(text: str) -> str:
    """``text`` with every token and ticket replaced.

    >>> redact('"WebSocket /v1/stream?token=dl_abc&after=3" [accepted]')
    '"WebSocket /v1/stream?token=[redacted]&after=3" [accepted]'
    >>> redact("(b'authorization', b'Bearer dl_abcd2345_s3cr3t-s3cr3t-s3cr3t')")
    "(b'authorization', b'Bearer [redacted]')"
    >>> redact("refused dl_abcd2345_s3cr3t-s3cr3t-s3cr3t at login; dl_abcd2345 kept")
    'refused dl_abcd2345_[redacted] at login; dl_abcd2345 kept'

    Redacting again changes nothing (a record passes a logger's filter and a handler's):

    >>> redact(redact("Bearer dl_abcd2345_s3cr3t ?token=x"))
    'Bearer [redacted] ?token=[redacted]'
    """
    if "dl" not in text:  # every log line passes here: most hold none of the three shapes
        lower = text.lower()
        if "bearer" not in lower and "token=" not in lower and "ticket=" not in lower:
            return text
    text = _IN_URL.sub(r"\1[redacted]", text)
    text = _BEARER.sub(r"\1[redacted]", text)
    return _SHAPED.sub(r"\1[redacted]", text)


def _clean(value: Any) -> Any:
    """A log argument without secrets: a string redacted; anything else (a dict of headers, a
    scope) replaced by its redacted text only when that differs, so ``%d`` still gets a number."""
    if isinstance(value, str):
        return redact(value)
    if value is None or isinstance(value, int | float):
        return value
    text = str(value)
    clean = redact(text)
    return value if clean == text else clean


class RedactSecrets(logging.Filter):
    """Rewrites a record's message, arguments and traceback; lets every record through."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not (isinstance(record.msg, dict) and hasattr(record, "_logger")):
            # (structlog's own events, ``api/logformat.py``, arrive scrubbed field by field)
            record.msg = _clean(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_clean(a) for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: _clean(v) for k, v in record.args.items()}
        if record.exc_info and not record.exc_text:
            # formatted now, redacted, and kept: a handler then prints this text
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def _add(target: logging.Logger | logging.Handler) -> None:
    if not any(isinstance(f, RedactSecrets) for f in target.filters):
        target.addFilter(RedactSecrets())


def redact_server_logs() -> None:
    """Put the filter on the server's loggers and the line's own (once, however many apps are
    made), and on the handlers configured so far: a record of any other library reaches those
    handlers unfiltered by its logger."""
    manager = logging.Logger.manager
    names = [*LOGGERS, *(n for n in manager.loggerDict if n.startswith("deconfliction"))]
    for name in names:
        _add(logging.getLogger(name))
    for logger in (logging.getLogger(), *(logging.getLogger(n) for n in LOGGERS)):
        for handler in logger.handlers:
            _add(handler)
    if logging.lastResort is not None:
        _add(logging.lastResort)
