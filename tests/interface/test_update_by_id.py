"""`MongoRepository.update_by_id`: what find_one_and_update answers, from an update and a find by
`_id` (SecantusDB writes a findAndModify through a scan). Real SecantusDB."""
from shared.storage import MongoRepository, run_transaction


def test_it_answers_as_find_one_and_update_does(mongo, db_prefix):
    repo = MongoRepository(mongo, mongo[f"{db_prefix}kit"])
    repo.db.docs.insert_one({"_id": "a", "n": 1})
    assert repo.update_by_id("docs", "a", {"$inc": {"n": 1}}) == {"_id": "a", "n": 2}
    assert repo.update_by_id("docs", "missing", {"$inc": {"n": 1}}) is None
    assert repo.db.docs.count_documents({"_id": "missing"}) == 0
    assert repo.update_by_id("docs", "b", {"$set": {"n": 5}}, upsert=True) == {"_id": "b", "n": 5}

    def before_images(session):
        return (repo.update_by_id("docs", "a", {"$inc": {"n": 10}}, session, before=True),
                repo.update_by_id("docs", "c", {"$setOnInsert": {"n": 0}}, session,
                                  upsert=True, before=True),
                repo.update_by_id("docs", "none", {"$set": {"n": 0}}, session, before=True))

    assert run_transaction(mongo, before_images) == ({"_id": "a", "n": 2}, None, None)
    assert {d["_id"]: d["n"] for d in repo.db.docs.find()} == {"a": 12, "b": 5, "c": 0}
