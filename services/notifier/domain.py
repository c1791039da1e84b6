"""Rules about notifications: pure, no I/O."""
from __future__ import annotations

CHANNELS = ("inbox", "webhook", "email")
