"""Text for the XML the line writes (CoT, KML): a character XML 1.0 cannot carry becomes U+FFFD.

Free text is checked as it arrives (``domain.text``), but text stored before a rule existed must
never make an export that a TAK client or Google Earth refuses whole, or that cannot be encoded.
"""

from __future__ import annotations

import re

from deconfliction.domain.text import NONCHARACTERS, SURROGATES

__all__ = ["xml_text"]

# XML 1.0 forbids C0 controls but tab, LF and CR, surrogates, U+FFFE and U+FFFF; the other
# noncharacters it allows but discourages, and the line's own readers refuse them
_NOT_XML = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f{SURROGATES}{NONCHARACTERS}]")


def xml_text(value: str) -> str:
    """``value`` with every character XML 1.0 forbids (or discourages) replaced by U+FFFD.

    >>> xml_text("Gate\\x01 7\\uffff")
    'Gate\\ufffd 7\\ufffd'
    """
    return _NOT_XML.sub("\ufffd", value)
