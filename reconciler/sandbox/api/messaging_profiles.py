"""/messaging_profiles (classic): the profiles by name, one profile, and the numbers on it."""

from __future__ import annotations

import json
from typing import Any

from reconciler.sandbox import errors as E
from reconciler.sandbox import render as R
from reconciler.sandbox.api.base import Request, Result
from reconciler.sandbox.api.paging import page_classic
from reconciler.sandbox.engine import World, valid_uuid
from reconciler.sandbox.validation import CLASSIC_PAGE, Param

LIST_QUERY = (Param("filter[name]"), *CLASSIC_PAGE, Param("filter[name][eq]"), Param("filter[name][contains]"))
NUMBERS_QUERY = CLASSIC_PAGE


def list_profiles(world: World, req: Request) -> Result:
    q = req.query
    equal = [name for name in (q["filter[name]"], q["filter[name][eq]"]) if name is not None]
    profiles = world.profiles_named(equal=equal, contains=q["filter[name][contains]"])
    page, size = q["page[number]"], q["page[size]"]
    chunk = profiles[(page - 1) * size : page * size]
    items = [json.dumps(R.profile_dict(p)) for p in chunk]
    return 200, page_classic(items, page, size, len(profiles))


def _profile(world: World, pid: str) -> Any:
    if not valid_uuid(pid):
        raise E.bad_param("id", f"Messaging profile id {pid!r} must be a UUID", code=E.INVALID_ID)
    return world.profile(pid)


def get_profile(world: World, req: Request) -> Result:
    return 200, {"data": R.profile_dict(_profile(world, req.path["id"]))}


def list_profile_numbers(world: World, req: Request) -> Result:
    profile = _profile(world, req.path["id"])
    page, size = req.query["page[number]"], req.query["page[size]"]
    slots = profile.numbers.page((page - 1) * size, size)
    return 200, page_classic([R.number_json(world, slot) for slot in slots], page, size, len(profile.numbers))
