"""Ids the line hands out: unique, RFC 9562 version 7, in the order they were made."""

from __future__ import annotations

import time
import uuid

from deconfliction.service.line import new_id


def test_ids_are_uuid7_unique_and_time_ordered() -> None:
    first = [new_id() for _ in range(1000)]
    time.sleep(0.002)
    later = new_id()
    assert len(set(first)) == 1000
    parsed = uuid.UUID(later)
    assert parsed.version == 7 and parsed.variant == uuid.RFC_4122
    assert all(i < later for i in first)
    millis = parsed.int >> 80
    assert abs(millis - time.time() * 1000) < 5_000
