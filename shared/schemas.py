"""Boundary models more than one service uses."""
from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_core import to_json

from shared.errors import invalid_from_pydantic


class Strict(BaseModel):
    """Unknown fields are a 422, so that a typo is never silently dropped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class PageQuery(Strict):
    page: Annotated[int, Field(ge=1, le=100_000)] = 1
    page_size: Annotated[int, Field(ge=1, le=200)] = 50


def validated(model: type[BaseModel], payload, prefix: tuple = ("body",)):
    """The payload as `model`, with failures as InvalidInput naming each field.

    A body is validated as the JSON it came as, strictly: `0` is no boolean, `"5"` no number
    and `0` no date, so a client's type mistake is a 422 rather than a guess. Query strings
    are all text, so they are validated leniently ("5" is the page 5).
    """
    try:
        if prefix == ("body",):
            return model.model_validate_json(to_json(payload), strict=True)
        return model.model_validate(payload)
    except ValidationError as exc:
        raise invalid_from_pydantic(exc, prefix) from None


def page_of(items: list, total: int, query: PageQuery) -> dict:
    return {"items": items, "total": total, "page": query.page, "page_size": query.page_size}
