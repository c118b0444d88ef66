"""The record as use cases: extend the Merkle tree over the event log and sign checkpoints,
serve proofs, entries and evidence bundles, and audit a whole store."""

from deconfliction.service.record.evidence import evidence_bundle
from deconfliction.service.record.record import (
    CHUNK,
    NO_CHECKPOINT,
    Inclusion,
    Recorder,
    advance,
    b64,
    consistency,
    entries_for,
    inclusion,
    latest_checkpoint,
    row_entry,
    warm_record,
)
from deconfliction.service.record.verify import Problem, Verification, verify_store
from deconfliction.service.record.witness import add_cosignature, cosignature_json, cosignatures

__all__ = [
    "CHUNK",
    "NO_CHECKPOINT",
    "Inclusion",
    "Problem",
    "Recorder",
    "Verification",
    "add_cosignature",
    "advance",
    "b64",
    "consistency",
    "cosignature_json",
    "cosignatures",
    "entries_for",
    "evidence_bundle",
    "inclusion",
    "latest_checkpoint",
    "row_entry",
    "verify_store",
    "warm_record",
]
