"""Lists in order of creation read window by window (services/leads/windows.py): every page,
by number or by cursor, is the same as sorting every matching lead; and a page reads about a
page of leads on the database, not the whole range."""
import random
from datetime import datetime, timedelta, timezone

import pytest
from pymongo import MongoClient, monitoring

from services.leads import domain, windows
from services.leads.repository import LeadsRepository
from shared.clock import utcnow

TEAMS = ["new-energy", "new-materials", "food"]
STAGES = ["lead", "negotiating", "signed"]


def lead(n: int, at: datetime, rng: random.Random) -> dict:
    made = domain.new_lead(f"lead{n:04d}", {
        "title": f"项目{n}", "company": {"name": f"企业{n}"}, "industry": "太阳能电池",
        "investment_cny": 100_000_000}, "admin", at, 1_000_000_000)
    return {**made, "major": rng.random() < 0.2, "team_id": rng.choice(TEAMS),
            "stage": rng.choice(STAGES), "status": rng.choice(["active", "paused"]),
            "source_branch_id": rng.choice([None, "b1", "b2"]),
            "routing": rng.choice(["assigned", "triage"])}


def spread(now: datetime, rng: random.Random) -> list[datetime]:
    """Creation times as the county has them: one an hour lately, bursts of the same second
    (an import), a few years old, one from 1995, one tomorrow (a moved clock)."""
    times = [now - timedelta(hours=h, minutes=rng.randrange(60)) for h in range(150)]
    times += [now - timedelta(days=3)] * 40 + [now - timedelta(days=400)] * 25
    times += [now - timedelta(days=700 + d) for d in range(30)]
    return times + [datetime(1995, 5, 1, tzinfo=timezone.utc), now + timedelta(days=1)]


@pytest.fixture
def repository(mongo, db_prefix):
    rng = random.Random(7)
    repository = LeadsRepository(mongo, mongo[f"{db_prefix}leads"])
    repository.ensure_indexes()
    leads = [lead(n, at, rng) for n, at in enumerate(spread(utcnow(), rng))]
    repository.db.leads.insert_many(leads)
    repository.save_report_rows(leads)
    return repository


def expected(repository, query: dict, newest_first: bool) -> list[str]:
    leads = [d for d in repository.db.leads.find({})
             if all(d.get(f) == v for f, v in query.items())]
    leads.sort(key=lambda d: (not d["major"], windows.order_key(d, newest_first)))
    return [d["_id"] for d in leads]


QUERIES = [{}, {"team_id": "food"}, {"team_id": "food", "stage": "signed"},
           {"source_branch_id": "b1"}, {"routing": "triage"}, {"status": "paused"},
           {"major": True}, {"major": False, "team_id": "new-energy", "status": "active"},
           {"team_id": "nobody"}]


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: ",".join(q) or "all")
@pytest.mark.parametrize("direction", [-1, 1], ids=["newest-first", "oldest-first"])
def test_every_page_by_cursor_or_number_is_the_whole_sorted_list(repository, query, direction):
    sort, size = [("created_at", direction)], 7
    want = expected(repository, query, direction < 0)
    by_cursor, after, pages = [], None, 0
    while True:
        items, total, more, after = repository.list(query, sort, 1, size, after=after)
        by_cursor += [d["_id"] for d in items]
        pages += 1
        assert more == (after is not None) == (len(by_cursor) < len(want))
        assert (total, more) == (min(len(by_cursor), len(want)), more)
        if after is None:
            break
    assert by_cursor == want and pages == max(1, -(-len(want) // size))
    for page in (1, 2, pages, pages + 1):
        items, total, more, _ = repository.list(query, sort, page, size)
        assert [d["_id"] for d in items] == want[(page - 1) * size:page * size]
        assert more == (len(want) > page * size)
        assert total == min(len(want), page * size)


class Finds(monitoring.CommandListener):
    def __init__(self):
        self.commands = []

    def started(self, event):
        if event.command_name in ("find", "aggregate"):
            self.commands.append((event.database_name, dict(event.command)))

    def succeeded(self, event):
        pass

    def failed(self, event):
        pass


def documents_read(client: MongoClient, commands) -> int:
    """What the database read for these commands: explain's totalDocsExamined of each."""
    total = 0
    for database, command in commands:
        command = {k: v for k, v in command.items() if k not in ("lsid", "$db", "$clusterTime")}
        stats = client[database].command("explain", command, verbosity="executionStats")
        total += stats["executionStats"]["totalDocsExamined"]
    return total


def test_a_page_reads_about_a_page_of_leads_not_the_whole_list(mongo_uri, repository):
    finds = Finds()
    with MongoClient(mongo_uri, tz_aware=True, event_listeners=[finds]) as client:
        watched = LeadsRepository(client, client[repository.db.name])
        for query in ({}, {"team_id": "food"}):
            finds.commands.clear()
            items, _, more, after = watched.list(query, [("created_at", -1)], 1, 10)
            first_page = documents_read(client, finds.commands)
            stored = repository.db.leads.count_documents(query)
            assert first_page <= 40, (query, first_page, stored)
            assert len(items) == 10 and more
            finds.commands.clear()
            watched.list(query, [("created_at", -1)], 1, 10, after=after)
            next_page = documents_read(client, finds.commands)
            # About a page and its look ahead, at most a few windows' guesses more; the whole
            # range is 246 leads (all) and about 80 (a team).
            assert first_page <= 40 and next_page <= 40, (query, first_page, next_page, stored)
            assert stored >= 70

