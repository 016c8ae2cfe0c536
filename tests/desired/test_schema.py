"""The schema file is valid, helpful, shipped with the package, and is the one
source of truth: the loader's fast paths agree with jsonschema."""

from __future__ import annotations

import json
import os
import random
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from reconciler import ids
from reconciler.desired import _schema, is_us_long_code
from reconciler.desired._yaml import compose

from .conftest import PROFILE, doc, problems_of, write

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_FILE = ROOT / "schemas" / "desired-state.schema.json"
DATA_LINK = ROOT / "reconciler" / "data" / "desired-state.schema.json"


def _load() -> dict[str, Any]:
    return json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))


def test_schema_is_valid_draft_2020_12() -> None:
    schema = _load()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)


def test_package_reads_the_schema_through_a_relative_symlink() -> None:
    assert DATA_LINK.is_symlink()
    assert os.readlink(DATA_LINK) == "../../schemas/desired-state.schema.json"
    assert ids.schema() == _load()


def _objects(node: Any, where: str = "#") -> list[tuple[str, dict[str, Any]]]:
    out = []
    if isinstance(node, dict):
        if node.get("type") == "object":
            out.append((where, node))
        for key, value in node.items():
            out.extend(_objects(value, f"{where}/{key}"))
    return out


def test_every_object_is_closed_and_every_property_documented() -> None:
    objects = _objects(_load())
    assert len(objects) == 5  # file, profile, campaign, policy, change window
    for where, obj in objects:
        assert obj.get("additionalProperties") is False, where
        assert obj.get("title") and obj.get("description"), where
        for name, prop in obj["properties"].items():
            assert prop.get("title") and prop.get("description"), f"{where}/{name}"
            if prop.get("type") == "array":
                assert prop["items"].get("title") and prop["items"].get("description"), f"{where}/{name}/items"


def test_contract_example_is_valid() -> None:
    example = {
        "version": 1,
        "profiles": [
            {
                "id": PROFILE,
                "name": "acme-marketing",
                "campaigns": [{"tcr_campaign_id": "CWZTFH1", "numbers": ["+13125550100", "+13125550101"]}],
            }
        ],
        "policy": {"prune": False},
    }
    assert Draft202012Validator(_load()).is_valid(example)
    assert Draft202012Validator(_load()).is_valid({"version": 1, "policy": {"prune": True}})
    assert Draft202012Validator(_load()).is_valid({"version": 1, "profiles": []})


# ---------------------------------------------------------------- fast paths agree


def test_fast_check_implements_every_keyword_the_schema_uses() -> None:
    _schema.compile_check(_load())  # raises UnsupportedSchema otherwise


def test_number_item_check_covers_the_number_item_schema() -> None:
    items = ids.subschema("profiles", "campaigns", "numbers")
    assert set(items) <= _schema.NUMBER_ITEM_KEYWORDS
    assert items["type"] == "string"


def test_us_rule_is_stricter_than_the_schema_pattern() -> None:
    """Every number the fast number check accepts, the schema accepts too."""
    pattern = re.compile(ids.subschema("profiles", "campaigns", "numbers")["pattern"])
    rng = random.Random(7)
    accepted = 0
    for npa in range(200, 1000):
        for _ in range(12):
            s = f"+1{npa}{rng.randint(0, 9_999_999):07d}"
            if is_us_long_code(s):
                accepted += 1
                assert pattern.search(s), s
    assert accepted > 2000


def test_unsupported_keyword_is_refused() -> None:
    with pytest.raises(_schema.UnsupportedSchema):
        _schema.compile_check({"type": "string", "maxLength": 3})


_keys = st.sampled_from(
    ["version", "profiles", "policy", "id", "name", "campaigns", "tcr_campaign_id", "numbers", "prune",
     "max_unassign", "max_unassign_percent", "max_reassign", "max_reassign_percent", "extra"]
)
_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 200),
    st.floats(-5, 200, allow_nan=False),
    st.sampled_from(["", "x", PROFILE, PROFILE.upper(), "CWZTFH1", "cwztfh1", "C12", "+13125550100", "CWZTFH1\n"]),
)


def _docs() -> st.SearchStrategy[Any]:
    tree = st.recursive(
        _scalars,
        lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(_keys, inner, max_size=4)),
        max_leaves=12,
    )
    campaign = st.fixed_dictionaries(
        {"tcr_campaign_id": st.sampled_from(["CWZTFH1", "C12", 5])},
        optional={"numbers": st.lists(_scalars, max_size=2), "x": tree},
    )
    profile = st.fixed_dictionaries(
        {"id": st.sampled_from([PROFILE, "nope", 1])},
        optional={"name": st.one_of(st.text(max_size=3), st.integers()), "campaigns": st.lists(campaign, max_size=2)},
    )
    policy = st.fixed_dictionaries(
        {},
        optional={
            "prune": _scalars,
            "max_unassign": _scalars,
            "max_unassign_percent": _scalars,
            "max_reassign": _scalars,
            "max_reassign_percent": _scalars,
        },
    )
    structured = st.fixed_dictionaries(
        {"version": st.sampled_from([1, 1.0, 2, "1", True])},
        optional={"profiles": st.one_of(st.lists(profile, max_size=3), tree), "policy": st.one_of(policy, tree)},
    )
    return st.one_of(structured, tree)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_docs())
def test_fast_check_agrees_with_jsonschema(instance: Any) -> None:
    assert _schema.compile_check(_load())(instance) == Draft202012Validator(_load()).is_valid(instance)


# Bad inputs whose problems are all structural (schema-level): the places the
# full schema flags (number lists included) are exactly the places the loader
# flags. Inputs with number problems beyond the schema (Canada, toll-free)
# must still include every place the schema flags.
AGREEMENT = [
    ("structural", doc().replace("name: acme-marketing", "name: 5")),
    ("structural", doc().replace("version: 1", "version: 1\nextra: 2")),
    ("structural", doc(campaign="C12")),
    ("structural", doc(profile="not-a-uuid")),
    ("structural", doc(numbers='          - 13125550100\n          - "+13125550100"\n          - "+1312555"\n')),
    ("structural", doc(numbers='          - [1, 2]\n          - {a: b}\n          - true\n          - ~\n')),
    ("structural", doc(numbers='          - "+10125550100"\n          - "+13120550100"\n')),
    ("structural", "version: 1\nprofiles:\n  - id: " + PROFILE + "\n    campaigns: []\n"),
    ("structural", "version: 1\nprofiles:\n  - campaigns:\n      - numbers: []\n"),
    ("structural", "version: 1\npolicy:\n  prune: 1\n  max_unassign: -1\n  max_reassign_percent: 101\n  x: 1\n"),
    ("structural", "version: 1\nprofiles: {}\npolicy: []\n"),
    ("structural", "- 1\n"),
    ("beyond", doc(numbers='          - "+14165550100"\n          - "+18005550100"\n          - "+1 312 555 0100"\n')),
    ("beyond", doc(numbers='          - "+19995550100"\n          - "+19005550100"\n')),
    ("beyond", doc(campaign="|\n          CWZTFH1", numbers='          - 5\n          - "+18885550100"\n')),
]


def _schema_places(text: str) -> set[tuple[int, int]]:
    problems: list[Any] = []
    root = compose(text.encode(), "f.yaml", problems)
    assert not problems
    places = set()
    for err in Draft202012Validator(ids.schema()).iter_errors(root):
        for p in _schema._translate(err, tuple(err.absolute_path), root, "f.yaml"):
            places.add((p.line, p.col))
    return places


@pytest.mark.parametrize("kind,text", AGREEMENT)
def test_loader_and_full_schema_flag_the_same_places(kind: str, text: str, in_tmp: Path) -> None:
    write(in_tmp, "f.yaml", text)
    loader_places = {(p.line, p.col) for p in problems_of("f.yaml")}
    schema_places = _schema_places(text)
    assert loader_places, "table entries must be invalid"
    if kind == "structural":
        assert loader_places == schema_places
    else:  # the loader checks more than the schema can say
        assert schema_places <= loader_places
