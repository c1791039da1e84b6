"""A poison message: in the dead-letter queue after the retries; the messages behind it flow on.

The poison is a `lead_created` event that passes the event schema but that the teams service
can never store: an investment of 10^20 yuan, beyond the 8-byte integers MongoDB holds (the
leads service would refuse such a lead; a buggy or outdated producer would not). It is sent
first, nine good events right behind it. The teams service must try it three times
(EVENT_MAX_ATTEMPTS in the fault settings), park it in `dlq.<its queue>`, and assign the nine
good leads meanwhile, each once. The operator's `kuaiban dlq list` and `show` find it there.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections import Counter

from shared.clock import utcnow
from shared.config import ROOT
from shared.events import LeadCreated, make_event
from shared.reliable import ATTEMPTS_HEADER, ERROR_HEADER
from tests.faults.harness import holds_within
from tests.waiting import wait_until
from tests.faults.test_consumer_killed import publish_stream, queue_depth

QUEUE = "evt-leads-lead_created--teams.assign_lead"
DLQ = f"dlq.{QUEUE}"
MAX_ATTEMPTS = 3  # EVENT_MAX_ATTEMPTS in tests/faults/conftest.py


def lead_created(title: str, investment_cny: int) -> dict:
    return make_event("leads", LeadCreated(
        lead_id=uuid.uuid4().hex, title=title, company_name=f"{title}公司", industry="太阳能电池",
        investment_cny=investment_cny, major=False), utcnow()).model_dump(mode="json")


def kuaiban(broker, *args: str) -> str:
    """The operator's command, as an operator runs it, against the private broker."""
    done = subprocess.run([sys.executable, "-m", "shared.cli", *args], cwd=ROOT,
                          env={**os.environ, "AMQP_URI": broker.amqp_uri},
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_a_poison_message_is_dead_lettered_and_the_rest_flow_on(whole, broker, mongo, report):
    poison = lead_created("毒丸-投资额溢出", 10**20)
    good = [lead_created(f"毒丸之后-{n}", 300_000_000) for n in range(1, 10)]
    good_ids = [e["data"]["lead_id"] for e in good]
    teams = mongo.kuaiban_teams
    dead_before = queue_depth(broker.amqp_uri, DLQ)

    publish_stream(broker.amqp_uri, "leads", [poison, *good])
    wait_until(lambda: teams.team_leads.count_documents({"_id": {"$in": good_ids}}) == 9,
               30, reason="the nine good leads assigned", poll=0.2)
    parked = holds_within(lambda: queue_depth(broker.amqp_uri, DLQ) == dead_before + 1, within=30)

    listed = kuaiban(broker, "dlq", "list")
    shown = [json.loads(block) for block in split_json(kuaiban(broker, "dlq", "show", DLQ,
                                                                "-n", "100"))]
    ours = [m for m in shown if m["payload"]["event_id"] == poison["event_id"]]
    assigned = Counter(e["payload"]["data"]["lead_id"] for e in teams.outbox.find(
        {"type": "lead_assigned", "payload.data.lead_id": {"$in": good_ids}}))
    applied_good = teams.team_leads.count_documents({"_id": {"$in": good_ids}})
    report(sent=10, poison=1, applied_teams=applied_good,
           dead_lettered=queue_depth(broker.amqp_uri, DLQ) - dead_before,
           attempts=ours[0]["headers"][ATTEMPTS_HEADER] - 1 if ours else 0,
           poison_applied=teams.team_leads.count_documents(
               {"_id": poison["data"]["lead_id"]}),
           duplicates=sum(n - 1 for n in assigned.values() if n > 1),
           lost=9 - applied_good)

    assert parked, "the poison never reached the dead-letter queue"
    assert applied_good == 9 and all(assigned[i] == 1 for i in good_ids)
    assert teams.team_leads.count_documents({"_id": poison["data"]["lead_id"]}) == 0
    assert len(ours) == 1
    assert ours[0]["headers"][ATTEMPTS_HEADER] == MAX_ATTEMPTS + 1  # three attempts made
    assert "8-byte ints" in ours[0]["headers"][ERROR_HEADER]
    assert f"{dead_before + 1:6d}  {DLQ}" in listed


def split_json(text: str) -> list[str]:
    """`kuaiban dlq show` prints one indented JSON document per message."""
    blocks, current = [], []
    for line in text.splitlines():
        current.append(line)
        if line == "}":
            blocks.append("\n".join(current))
            current = []
    return blocks
