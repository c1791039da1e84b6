"""Rules about policy requests: pure, no I/O."""
from __future__ import annotations

from datetime import timedelta

REPLY_WITHIN = timedelta(hours=48)  # the county's headline promise: a stamped reply in 48 hours
CATEGORIES = ("policy", "land", "power", "water", "gas", "environment", "permit", "finance",
              "talent", "other")
REQUEST_STATUSES = ("open", "closed")
