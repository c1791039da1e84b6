"""Boundary models more than one service uses."""
from __future__ import annotations

import re
import typing
from datetime import date, datetime, time
from typing import Annotated, Literal, Optional
from zoneinfo import ZoneInfo

from pydantic import (
    AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, FutureDate, FutureDatetime, NaiveDatetime,
    PastDate, PastDatetime, ValidationError,
)
from pydantic_core import PydanticCustomError, to_json

from shared import messages_zh
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


COUNTY_ZONE = ZoneInfo("Asia/Shanghai")


def _county_time(value):
    """A date or time without an offset is the county's (Asia/Shanghai), never a 422."""
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            return value  # pydantic says what is wrong with it
        # Parsed here either way: after a before-validator a strict body takes no text.
        return parsed.replace(tzinfo=COUNTY_ZONE) if parsed.tzinfo is None else parsed
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=COUNTY_ZONE)
    return value


# An instant: ISO 8601 with an offset, or without one meaning the county's local time.
CountyDatetime = Annotated[AwareDatetime, BeforeValidator(_county_time)]


def choice(keys: tuple[str, ...], labels: dict[str, str], aliases: dict[str, str] | None = None):
    """An enumeration of `keys` that also takes their Chinese labels (签约 for signed) and
    `aliases` (电力 for power); anything else is a 422 listing the labels with their keys."""
    by_word = {**{labels[k]: k for k in keys if k in labels}, **(aliases or {}),
               **{k: k for k in keys}}
    listed = "、".join(f"{labels[k]}（{k}）" if k in labels else k for k in keys)

    def to_key(value):
        if isinstance(value, str) and value.strip() in by_word:
            return by_word[value.strip()]
        raise PydanticCustomError("zh_choice", "应为以下之一：{listed}", {"listed": listed})

    return Annotated[Literal[keys], BeforeValidator(to_key)]  # type: ignore[valid-type]


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
            return _within_calendar(model.model_validate_json(to_json(payload), strict=True),
                                    prefix)
        numbers_as_dates = _numbers_given_as_dates(model, payload)
        if numbers_as_dates:
            errors = [{"loc": [*prefix, *e["loc"]],
                       "msg": messages_zh.field_message([*prefix, *e["loc"]], e["msg"])}
                      for e in numbers_as_dates]
            raise InvalidInput(messages_zh.detail_of(errors), {"errors": errors})
        return _within_calendar(model.model_validate(payload), prefix)
    except ValidationError as exc:
        raise invalid_from_pydantic(exc, prefix) from None


# Dates the county's records can have; outside, date arithmetic and time zones overflow (year 1
# at +14:00 is before the first representable instant), so such input is a 422, not a 500.
YEARS = (1900, 2999)


def _within_calendar(value, prefix: tuple, loc: tuple = ()):
    """The validated model, after checking every date and time in it lies within YEARS."""
    if isinstance(value, BaseModel):
        for name, field in type(value).model_fields.items():
            _within_calendar(getattr(value, name), prefix, (*loc, field.alias or name))
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            _within_calendar(item, prefix, (*loc, str(i)))
    elif isinstance(value, (date, datetime)) and not YEARS[0] <= value.year <= YEARS[1]:
        message = f"日期须在{YEARS[0]}年至{YEARS[1]}年之间"
        raise InvalidInput(message, {"errors": [{"loc": [*prefix, *loc], "msg": message}]})
    return value


def _numbers_given_as_dates(model: type[BaseModel], payload) -> list[dict]:
    """Lenient pydantic reads "0" or "0.5" as a Unix time; a date or time in a query is
    ISO 8601 only. (A before-validator would do this too, but it would also stop strict
    JSON bodies from parsing ISO dates.)"""
    if not isinstance(payload, dict):
        return []
    return [
        {"loc": [key], "msg": "应为 ISO 8601 日期或日期时间，不能是数字"}
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


class Backdated(View):
    """A time entered earlier than now (shared/backdating.py): who entered it, how far back."""

    by: Optional[str] = None
    seconds: int
    days: float


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


def page_of(items: list, total: int, query: PageQuery, capped: bool | None = None) -> dict:
    """`capped`: the total was counted only up to a limit (`total_capped: true`), so that a
    list never counts a whole growing collection."""
    page = {"items": items, "total": total, "page": query.page, "page_size": query.page_size}
    if capped is not None:
        page["total_capped"] = capped
    return page
