"""The line's tamper-evident record: signed notes and checkpoints, and the key that signs them."""

from deconfliction.record.checkpoint import Checkpoint
from deconfliction.record.errors import RecordError
from deconfliction.record.keyfile import KeyFileError, load, load_or_create
from deconfliction.record.keys import (
    Signer,
    Verifier,
    public_key_from_text,
    valid_name,
    verify_signature,
)
from deconfliction.record.memory import MemoryTree
from deconfliction.record.note import open_checkpoint, open_note, sign_checkpoint, sign_note
from deconfliction.record.notetext import NoteError
from deconfliction.record.tree import (
    EMPTY_ROOT,
    HASH_SIZE,
    Frontier,
    NodeId,
    ProofError,
    assemble,
    consistency_plan,
    frontier_ids,
    inclusion_plan,
    leaf_hash,
    node_hash,
    plan_ids,
    root_from_frontier,
    verify_consistency,
    verify_inclusion,
)

__all__ = [
    "Checkpoint",
    "EMPTY_ROOT",
    "Frontier",
    "HASH_SIZE",
    "KeyFileError",
    "MemoryTree",
    "NodeId",
    "NoteError",
    "ProofError",
    "RecordError",
    "Signer",
    "Verifier",
    "assemble",
    "consistency_plan",
    "frontier_ids",
    "inclusion_plan",
    "leaf_hash",
    "load",
    "load_or_create",
    "node_hash",
    "open_checkpoint",
    "open_note",
    "plan_ids",
    "public_key_from_text",
    "root_from_frontier",
    "sign_checkpoint",
    "sign_note",
    "valid_name",
    "verify_consistency",
    "verify_inclusion",
    "verify_signature",
]
