"""`make bench` seeds its leads with the services' own code (bench/bench.py `seed`): run here on a
few leads, so that a change to that code breaks this test rather than the next benchmark (the
benchmark is not part of `make test`, and its seed once called a method that had moved)."""
from __future__ import annotations

from dataclasses import dataclass

from pymongo import MongoClient

from bench.bench import seed


@dataclass
class SeedTarget:
    mongo: MongoClient  # what seed() uses of the benchmark's platform


def test_the_benchmark_seeds_assigned_leads_with_their_history(mongo):
    databases = ("kuaiban_leads", "kuaiban_teams", "kuaiban_sla")
    for name in databases:
        mongo.drop_database(name)
    try:
        seed(SeedTarget(mongo), 30)
        leads, teams = mongo["kuaiban_leads"], mongo["kuaiban_teams"]
        assert leads.leads.count_documents({}) == 30
        assert leads.leads.count_documents({"routing": "assigned"}) == 30
        assert teams.team_leads.count_documents({}) == 30
        # Each lead's creation and assignment: sent outbox entries and applied event ids.
        assert leads.outbox.count_documents({"sent_at": {"$ne": None}}) == 30
        assert teams.outbox.count_documents({"sent_at": {"$ne": None}}) == 30
        assert leads.applied_events.count_documents({}) == teams.applied_events.count_documents(
            {}) == 30
        assert teams.team_figures.count_documents({}) > 0
        # A reply clock per lead: half stopped, half running with a threshold ahead, none due.
        clocks = mongo["kuaiban_sla"].clocks
        assert clocks.count_documents({}) == 30
        assert clocks.count_documents({"next_threshold_at": None, "state": "met"}) == 15
        from services.sla.repository import SlaRepository
        from shared.clock import utcnow
        assert SlaRepository(mongo, mongo["kuaiban_sla"]).due_clocks(utcnow(), 200) == []
    finally:
        for name in databases:
            mongo.drop_database(name)
