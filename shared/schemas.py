"""Boundary models more than one service uses."""
from __future__ import annotations

import re
import typing
from datetime import date, datetime, time
from typing import Annotated, Optional

from pydantic import (
    AwareDatetime, BaseModel, ConfigDict, Field, FutureDate, FutureDatetime, NaiveDatetime,
    PastDate, PastDatetime, ValidationError,
)
from pydantic_core import to_json

from shared.errors import InvalidInput, invalid_from_pydantic


class Strict(BaseModel):
    """Unknown fields are a 422, so that a typo is never silently dropped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


TEMPORAL = (date, datetime, time, AwareDatetime, NaiveDatetime, PastDate, FutureDate,
            PastDatetime, FutureDatetime)


def _is_temporal(annotation) -> bool:
    if annotation in TEMPORAL:
        return True
    return any(_is_temporal(arg) for arg in typing.get_args(annotation))


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
        numbers_as_dates = _numbers_given_as_dates(model, payload)
        if numbers_as_dates:
            raise InvalidInput(
                f"invalid input: {', '.join('.'.join(e['loc']) for e in numbers_as_dates)}",
                {"errors": [{**e, "loc": [*prefix, *e["loc"]]} for e in numbers_as_dates]})
        return model.model_validate(payload)
    except ValidationError as exc:
        raise invalid_from_pydantic(exc, prefix) from None


def _numbers_given_as_dates(model: type[BaseModel], payload) -> list[dict]:
    """Lenient pydantic reads "0" or "0.5" as a Unix time; a date or time in a query is
    ISO 8601 only. (A before-validator would do this too, but it would also stop strict
    JSON bodies from parsing ISO dates.)"""
    if not isinstance(payload, dict):
        return []
    return [
        {"loc": [key], "msg": "must be an ISO 8601 date or date-time, not a number"}
        for name, field in model.model_fields.items()
        for key in {name, field.alias or name}
        if _is_temporal(field.annotation) and isinstance(payload.get(key), str)
        and NUMBER.fullmatch(payload[key].strip())
    ]


class View(BaseModel):
    """A result as shown to a caller: an allow-list, so a field no model names is never sent."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)


# Times cross the boundary as ISO 8601 text with an offset; kept as the text they came as.
Timestamp = Annotated[str, Field(json_schema_extra={"format": "date-time"})]
Day = Annotated[str, Field(json_schema_extra={"format": "date"})]


class Page(View):
    """A page of a list: subclasses name the items' model."""

    items: list
    total: int
    page: int
    page_size: int
    total_capped: Optional[bool] = None  # api.md: a total that would need a scan may be capped


def shown(model: type[BaseModel], payload):
    """`payload` as `model` shows it: fields the model does not name are dropped; a field left
    out of the payload stays out (no invented nulls)."""
    return model.model_validate(payload).model_dump(mode="json", by_alias=True,
                                                    exclude_unset=True)


def page_of(items: list, total: int, query: PageQuery) -> dict:
    return {"items": items, "total": total, "page": query.page, "page_size": query.page_size}
