"""The reports' compact rows of leads on the database: built once for leads of before, kept
with each change, read in one pass with the first lead's date."""
from datetime import datetime, timezone

from services.leads import domain
from shared.change import Change
from services.leads.repository import LeadsRepository, bucket_of, build_report_rows

NOW = datetime(2026, 11, 2, 2, tzinfo=timezone.utc)


def lead(n: int, **extra) -> dict:
    made = domain.new_lead(f"lead{n:04d}", {
        "title": f"项目{n}", "company": {"name": f"企业{n}"}, "industry": "太阳能电池",
        "investment_cny": 100_000_000 * n}, "admin", NOW.replace(day=2 + n % 20), 1_000_000_000)
    return {**made, **extra}


def test_rows_are_built_once_for_leads_of_before_and_kept_with_each_change(mongo, db_prefix):
    db = mongo[f"{db_prefix}leads"]
    repository = LeadsRepository(mongo, db)
    repository.ensure_indexes()
    before = [lead(n) for n in range(1, 41)]
    db.leads.insert_many(before)  # leads stored before the rows existed
    assert build_report_rows(repository, {}) == 40
    assert build_report_rows(repository, {}) == 0  # once
    rows, first = repository.report_rows()
    assert sorted(r[0] for r in rows) == sorted(d["_id"] for d in before)
    assert first == min(d["created_at"] for d in before)
    assert db.report_rows.count_documents({}) == len({bucket_of(d["_id"]) for d in before})

    # A lead's change rewrites its row in the same transaction.
    changed = repository.update(db.leads.find_one({"_id": "lead0001"}), Change(set={
        "four_ones": {"plan": [{"milestone": "signed", "planned_date": "2026-12-01"}]},
        "status": "active", "title": "项目1（二期）"}), NOW)
    [row] = [r for r in repository.report_rows()[0] if r[0] == changed["_id"]]
    assert row[1] == "项目1（二期）" and row[8] == [["signed", "签约", "2026-12-01", None]]
    new = lead(99, created_at=datetime(2026, 10, 1, tzinfo=timezone.utc))
    repository.insert(new, (), NOW)
    rows, first = repository.report_rows()
    assert len(rows) == 41 and first == new["created_at"]


def test_the_buckets_of_before_are_rebuilt_once_into_the_many(mongo, db_prefix):
    """A database whose rows sit in the 64 buckets of before (and marked built) gets each lead's
    row in its bucket of today's 4,096, once; nothing of the old buckets stays."""
    db = mongo[f"{db_prefix}leads"]
    repository = LeadsRepository(mongo, db)
    repository.ensure_indexes()
    leads = [lead(n) for n in range(1, 11)]
    db.leads.insert_many(leads)
    db.report_rows.insert_one({"_id": 7, "rows": {"lead0001": ["stale"], "gone": ["stale"]}})
    db.migrations.insert_one({"_id": "report_rows", "leads": 10})
    assert build_report_rows(repository, {}) == 10
    assert build_report_rows(repository, {}) == 0
    rows, _ = repository.report_rows()
    assert sorted(r[0] for r in rows) == sorted(d["_id"] for d in leads)
    assert {d["_id"] for d in db.report_rows.find()} == {bucket_of(d["_id"]) for d in leads}
