"""Back-dating: a request received on paper or a problem found last week is entered with its
own time, which starts its clocks in the past and can breach them at once. So it is bounded
(KUAIBAN_BACKDATE_DAYS, 7 by default; older only by an admin) and recorded with who and how much."""
from __future__ import annotations

from datetime import datetime, timedelta

from shared.errors import InvalidInput
from shared.scope import Principal

BACKDATE_DAYS = 7
NOTED_AFTER = timedelta(minutes=1)  # a client's clock running a little behind is no back-dating


def backdating(at: datetime, now: datetime, principal: Principal | dict | None,
               backdate_days: int, loc: list) -> dict | None:
    """Back-dating starts clocks in the past (and can breach them at once): bounded, and recorded.
    `principal`: who enters it (None: no one known, who may not go back beyond the bound)."""
    behind = now - at
    if behind <= NOTED_AFTER:
        return None
    caller = Principal.of(principal) if principal else None
    role = caller.role if caller else None
    if behind > timedelta(days=backdate_days) and role != "admin":
        message = f"最多可补录{backdate_days}天内的时间；更早的须由管理员录入"
        raise InvalidInput(message, {"errors": [{"loc": loc, "msg": message}]})
    return {"by": caller.username if caller else None, "seconds": int(behind.total_seconds()),
            "days": round(behind.total_seconds() / 86400, 2)}
