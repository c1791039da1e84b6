"""Growing delays for password guesses: pure rules; the counters live in repository.py.

Each login attempt is counted, before its password is checked, under three keys: the client
address (over all accounts), the account from that address, and the account from anywhere.
An attempt is refused (the same 401 as a wrong password) while the last one counted under a
key is younger than that key's delay, which doubles with each attempt past the free ones.
The account-wide key is skipped from an address the account has logged in from before, so a
stranger guessing from elsewhere slows the guesses but never shuts the owner out; a success
clears the account's counters. Counting is a compare-and-set on the counter (find_one_and_update
on count and time), so 30 parallel guesses get as many checks as the free attempts allow.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

TRUSTED_FOR = timedelta(days=90)  # an address the account logged in from stays known this long


@dataclass(frozen=True)
class Rule:
    free: int  # attempts without delay
    first_delay_seconds: float
    max_delay_seconds: float
    forget_after: timedelta  # a key idle this long starts again from nothing

    def delay(self, counted: int) -> timedelta:
        """How long after the last counted attempt the next one is let through."""
        if counted < self.free:
            return timedelta(0)
        seconds = self.first_delay_seconds * 2 ** min(counted - self.free, 30)
        return timedelta(seconds=min(seconds, self.max_delay_seconds))

    def counted(self, doc: dict | None, now: datetime) -> int:
        if not doc or not doc.get("last_at") or now - doc["last_at"] >= self.forget_after:
            return 0
        return int(doc.get("count", 0))

    def allows(self, doc: dict | None, now: datetime) -> bool:
        counted = self.counted(doc, now)
        return counted == 0 or now >= doc["last_at"] + self.delay(counted)

    def retry_after(self, doc: dict | None, now: datetime) -> int:
        counted = self.counted(doc, now)
        if counted == 0:
            return 0
        return max(1, int((doc["last_at"] + self.delay(counted) - now).total_seconds() + 0.999))


def rules_from_config(config: dict) -> dict[str, Rule]:
    free = int(config.get("LOGIN_FREE_ATTEMPTS") or 5)
    first = float(config.get("LOGIN_FIRST_DELAY_SECONDS") or 1)
    cap = float(config.get("LOGIN_MAX_DELAY_SECONDS") or 900)
    forget = timedelta(hours=float(config.get("LOGIN_FORGET_HOURS") or 24))
    return {
        "account": Rule(free, first, cap, forget),
        "pair": Rule(free, first, cap, forget),
        "address": Rule(int(config.get("LOGIN_ADDRESS_FREE_ATTEMPTS") or 30), first, cap, forget),
        "password": Rule(free, first, cap, forget),  # wrong current passwords on /me/password
    }


def client_address(request, trusted_proxies: str | None) -> str:
    """The caller's address; behind a trusted reverse proxy, the last address it forwarded."""
    peer = request.remote_addr or "-"
    trusted = {a.strip() for a in str(trusted_proxies or "").split(",") if a.strip()}
    if peer in trusted:
        forwarded = [a.strip() for a in request.headers.get("X-Forwarded-For", "").split(",")
                     if a.strip()]
        for address in reversed(forwarded):
            if address not in trusted:
                return address[:64]
    return peer
