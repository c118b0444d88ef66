"""The line's background machinery: wake-ups for streams, duties on a clock, write-behind
batches, and the bridge that carries "new events up to seq N" between nodes over NATS.

``bus.bridge`` is imported on its own (it needs nats-py), by the use cases that link nodes.
"""

from deconfliction.bus.batch import Batch
from deconfliction.bus.periodic import Periodic
from deconfliction.bus.signal import EventSignal

__all__ = ["Batch", "EventSignal", "Periodic"]
