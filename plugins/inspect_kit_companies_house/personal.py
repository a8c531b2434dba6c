"""What of a PSC entry may be shown when it is rejected: never what Companies House keeps back.

Companies House publishes a person's name, nationality, service address and
month and year of birth, but not their usual residential address or day of
birth. A rejected snapshot line or API item is shown in the public
``rejected_records`` without those; the whole line goes to the private database.
"""

from __future__ import annotations

import copy
import json

import orjson

from inspect_kit import Rejected

WITHHELD = ("usual_residential_address", "residential_address")


def public_psc(item) -> dict | None:
    """The item (a snapshot line's object, or an API item) without the withheld fields."""
    if not isinstance(item, dict):
        return None
    shown = copy.deepcopy(item)
    data = shown.get("data") if isinstance(shown.get("data"), dict) else shown
    for key in WITHHELD:
        data.pop(key, None)
    birth = data.get("date_of_birth")
    if isinstance(birth, dict):
        birth.pop("day", None)
    return shown


def rejected_psc(error: str, raw: str, *, item=None, line=None, source=None) -> Rejected:
    """A rejected PSC line or item: shown without the withheld fields, or not at all if unreadable."""
    if item is None:
        try:
            item = orjson.loads(raw)
        except ValueError:
            item = None
    shown = public_psc(item)
    return Rejected(error, raw=raw, line=line, source=source, personal=True,
                    public_raw=None if shown is None else json.dumps(shown))
