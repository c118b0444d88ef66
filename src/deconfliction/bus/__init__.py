"""The line's background machinery: wake-ups for streams, duties on a clock, write-behind
batches. In-process today; where events will cross nodes (NATS) when the line runs on several.
"""

from deconfliction.bus.batch import Batch
from deconfliction.bus.periodic import Periodic
from deconfliction.bus.signal import EventSignal

__all__ = ["Batch", "EventSignal", "Periodic"]
