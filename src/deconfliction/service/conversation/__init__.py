"""The conversation: threads between parties, requests, replies and notes with deadlines, the
agreements an accepted request makes, and receipts of messages."""

from deconfliction.service.conversation.receipts import acknowledge_message, message_receipts_of
from deconfliction.service.conversation.threads import (
    ThreadView,
    expire_requests,
    get_thread,
    list_threads,
    open_thread,
    post_message,
)

__all__ = [
    "ThreadView",
    "acknowledge_message",
    "expire_requests",
    "get_thread",
    "list_threads",
    "message_receipts_of",
    "open_thread",
    "post_message",
]
