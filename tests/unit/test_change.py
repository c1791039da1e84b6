"""A Change and the one update document a repository makes of it."""
import pytest

from shared.change import Change
from shared.storage import update_of


def test_update_of_a_change_sets_appends_adds_and_removes():
    change = (Change(set={"stage": "signed"})
              .appending("stage_history", {"stage": "signed"})
              .appending("changes", {"action": "stage"}, {"action": "milestone"})
              .and_then(Change(add={"open_leads": -1}, remove={"watchers": "li"})))
    assert update_of(change) == {
        "$set": {"stage": "signed"},
        "$push": {"stage_history": {"stage": "signed"},
                  "changes": {"$each": [{"action": "stage"}, {"action": "milestone"}]}},
        "$inc": {"open_leads": -1},
        "$pull": {"watchers": "li"},
    }


def test_later_changes_win_and_histories_grow_in_order():
    first = Change(set={"status": "stalled", "note": "a"}, append={"changes": ({"n": 1},)},
                   add={"count": 1})
    both = first.and_then(Change(set={"status": "active"}, append={"changes": ({"n": 2},)},
                                 add={"count": 2}))
    assert both.set == {"status": "active", "note": "a"}
    assert both.append == {"changes": ({"n": 1}, {"n": 2})}
    assert both.add == {"count": 3}
    assert Change().empty and not both.empty


def test_a_field_cannot_be_both_set_and_appended_to():
    with pytest.raises(ValueError, match="changes"):
        Change(set={"changes": []}, append={"changes": ({"n": 1},)})
