"""Results as allow-lists: a service's view of a stored document names the fields its response
model declares, so a field added to the document later is not sent until a model names it.

Picked by name rather than validated by the model: the gateway validates each answer against
its route's response model already (`shared.schemas.shown`), and a second validation per item
of a page would cost the request's CPU twice.
"""
from __future__ import annotations

from pydantic import BaseModel


def fields_of(model: type[BaseModel]) -> tuple[str, ...]:
    """The names `model` shows, as they are sent (a field's alias when it has one)."""
    return tuple(field.alias or name for name, field in model.model_fields.items())


def picked(doc: dict, fields: tuple[str, ...]) -> dict:
    """The fields of `doc` that are in `fields` (a field missing from `doc` stays missing)."""
    return {name: doc[name] for name in fields if name in doc}
