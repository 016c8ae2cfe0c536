"""The ids the files name, defined once: by the desired-state JSON Schema.

`schemas/desired-state.schema.json` is the one definition of a file's structure, its id patterns
included; the loader validates against it, and the importer and the live reader hold what Telnyx
answers to the same patterns (a profile id the schema would refuse must never become a file). Read
through the symlink `reconciler/data/desired-state.schema.json` (a copy in a built wheel). Stdlib
only, no I/O beyond the package's own data file: every layer may import it.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from importlib import resources
from typing import Any

SCHEMA_RESOURCE = "data/desired-state.schema.json"


@lru_cache(maxsize=1)
def schema() -> dict[str, Any]:
    """The desired-state JSON Schema (draft 2020-12), parsed."""
    resource = resources.files("reconciler").joinpath(SCHEMA_RESOURCE)
    text = resource.read_text(encoding="utf-8")
    if not text.lstrip().startswith("{"):
        # A checkout without symlink support (git on Windows with
        # core.symlinks=false) holds the link target as text: follow it.
        text = resource.parent.joinpath(*text.strip().split("/")).read_text(encoding="utf-8")
    return json.loads(text)


def subschema(*keys: str) -> dict[str, Any]:
    """`subschema("profiles", "id")`: walks properties/items down the schema."""
    node = schema()
    for key in keys:
        if node.get("type") == "array":
            node = node["items"]
        node = node["properties"][key]
    if node.get("type") == "array" and keys and keys[-1] == "numbers":
        node = node["items"]
    return node


def full_match(pattern: str) -> re.Pattern[str]:
    """A schema pattern `^...$` as a Python full match with ECMA-262 meaning.

    (Python's `$` also matches before a final newline; ECMA's does not.)
    """
    body = pattern
    if body.startswith("^"):
        body = body[1:]
    if body.endswith("$") and not body.endswith("\\$"):
        body = body[:-1]
    return re.compile(body, re.ASCII)


# Use `.fullmatch`: the patterns carry no anchors of their own.
UUID_RE = full_match(subschema("profiles", "id")["pattern"])  # a messaging profile's id
TCR_RE = full_match(subschema("profiles", "campaigns", "tcr_campaign_id")["pattern"])  # a TCR campaign id
NUMBER_RE = full_match(subschema("profiles", "campaigns", "numbers")["pattern"])  # a declarable US number
