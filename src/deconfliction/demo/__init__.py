"""The demo scenario (data only)."""
