"""Make documents safe to send: datetimes as ISO 8601 with offset, Decimal128 as strings."""
from __future__ import annotations

from datetime import date, datetime, timezone

from bson import Decimal128, ObjectId


def jsonable(value):
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, datetime):
        if value.tzinfo is None:  # stored dates are UTC
            value = value.replace(tzinfo=timezone.utc)
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (Decimal128, ObjectId)):
        return str(value)
    return value
