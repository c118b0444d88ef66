"""The TAK front door: Cursor on Target over TLS (members' certificates of the line's own CA)
and over plain TCP for one trusted gateway, speaking to the ``service`` functions only."""
