"""The county's units registry (services/supervision/data/units.yaml): the departments and towns
that answer requests, own problems and are scored. An account's department and a policy
item's department must be one of them, else the work would go to nobody."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

from shared.errors import InvalidInput

UNITS_FILE = Path(__file__).resolve().parent.parent / "services" / "supervision" / "data" / \
    "units.yaml"


@lru_cache(maxsize=1)
def known_units() -> tuple[str, ...]:
    with open(UNITS_FILE, encoding="utf-8") as f:
        data = yaml.safe_load(f)
    return tuple(data["departments"]) + tuple(data["towns"])


def check_unit(name: str | None, loc: list) -> None:
    """422 naming the known units when `name` is given and is not one of them."""
    if name is None or name in known_units():
        return
    units = known_units()
    message = f"“{name}”不在单位名录中；可选：{'、'.join(units)}"
    raise InvalidInput(message, {"errors": [{"loc": loc, "msg": message}],
                                 "known_units": list(units)})
