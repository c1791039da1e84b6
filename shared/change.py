"""A change to one document, as the domain decides it: the fields to set, the entries to append
to its histories, the counters to add to, the values to take out of its lists, and the events it
causes. One domain function builds all of it, so a state change and the event that announces it
cannot drift apart. Only a repository turns a change into the database's update language
(`shared.storage.update_of`); domains and use cases never write MongoDB operators.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from shared.events import EventData


@dataclass(frozen=True)
class Change:
    set: dict[str, Any] = field(default_factory=dict)
    # history field -> the entries appended to it, in order
    append: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    # counter field -> the amount added (negative to take away)
    add: dict[str, int | float] = field(default_factory=dict)
    # list field -> the value (or the condition on elements) taken out of it
    remove: dict[str, Any] = field(default_factory=dict)
    # the events the change causes, as payloads: the repository envelopes and stores them in the
    # outbox in the same transaction as the change
    events: tuple[EventData, ...] = ()

    def __post_init__(self):
        overlap = (set(self.set) & set(self.append)) | (set(self.set) & set(self.add))
        if overlap:
            raise ValueError(f"a field both set and appended to or added to: {sorted(overlap)}")

    @property
    def empty(self) -> bool:
        return not (self.set or self.append or self.add or self.remove)

    def and_then(self, other: "Change") -> "Change":
        """This change followed by `other` (fields `other` sets win, histories grow by both)."""
        append = dict(self.append)
        for name, entries in other.append.items():
            append[name] = append.get(name, ()) + tuple(entries)
        add = dict(self.add)
        for name, amount in other.add.items():
            add[name] = add.get(name, 0) + amount
        return Change(set={**self.set, **other.set}, append=append, add=add,
                      remove={**self.remove, **other.remove}, events=self.events + other.events)

    def setting(self, **fields) -> "Change":
        return replace(self, set={**self.set, **fields})

    def appending(self, name: str, *entries) -> "Change":
        return self.and_then(Change(append={name: entries}))

    def causing(self, *events: EventData) -> "Change":
        return replace(self, events=self.events + events)
