"""Fuzzing: whatever the bytes, the loader returns a DesiredState or raises
DesiredStateError with well-formed problems, never anything else."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any, Iterator

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.desired import load_desired
from reconciler.errors import DesiredStateError
from reconciler.model import DesiredState

from .conftest import PROFILE, doc

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def scratch() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as d:
        yield Path(d)


def _load_bytes(scratch: Path, data: bytes) -> None:
    path = scratch / "fuzz.yaml"
    path.write_bytes(data)
    try:
        state = load_desired(path)
    except DesiredStateError as exc:
        assert exc.problems
        for p in exc.problems:
            assert p.path == str(path) or p.path.endswith("fuzz.yaml")
            assert isinstance(p.line, int) and p.line >= 1 and isinstance(p.col, int) and p.col >= 1
            assert p.message and "\n" not in p.message
    else:
        assert isinstance(state, DesiredState)


YAMLISH = st.lists(
    st.sampled_from(
        list("abcv01+-:,[]{}&*!|>'\"#?%@`~ \t\n\r\\.")
        + ["version", "profiles", "policy", "numbers", "- ", ": ", "\n  ", "\ufeff", "\x00", "é", "+13125550100",
           "&a ", "*a", "!!str ", "!!python/object ", "---\n", "version: 1\n", "profiles:\n  - id: "]
    ),
    max_size=60,
).map("".join)


@FUZZ
@given(YAMLISH)
def test_yamlish_text(scratch: Path, text: str) -> None:
    _load_bytes(scratch, text.encode("utf-8"))


@FUZZ
@given(st.binary(max_size=200))
def test_random_bytes(scratch: Path, data: bytes) -> None:
    _load_bytes(scratch, data)


@FUZZ
@given(st.binary(max_size=40), st.integers(0, 400))
def test_valid_file_with_bytes_spliced_in(scratch: Path, junk: bytes, at: int) -> None:
    base = doc(numbers='          - "+13125550100"\n          - "+13125550101"\n').encode()
    at = min(at, len(base))
    _load_bytes(scratch, base[:at] + junk + base[at:])


_scalar = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=15),
    st.sampled_from([PROFILE, "CWZTFH1", "+13125550100", "+14165550100", "+18005550100", 13125550100]),
)
_key = st.one_of(
    st.sampled_from(["version", "profiles", "policy", "id", "name", "campaigns", "tcr_campaign_id", "numbers",
                     "prune", "max_unassign", "max_unassign_percent", "max_reassign", "max_reassign_percent"]),
    st.text(max_size=8),
)
_tree = st.recursive(
    _scalar,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(_key, inner, max_size=4)),
    max_leaves=20,
)


@FUZZ
@given(_tree, st.sampled_from(["block", "flow"]))
def test_random_structures(scratch: Path, tree: Any, style: str) -> None:
    text = yaml.safe_dump(tree, default_flow_style=(style == "flow"), allow_unicode=True)
    _load_bytes(scratch, text.encode("utf-8"))


@FUZZ
@given(
    st.fixed_dictionaries(
        {"version": st.one_of(st.just(1), _scalar)},
        optional={
            "profiles": st.lists(
                st.fixed_dictionaries(
                    {"id": st.one_of(st.just(PROFILE), _scalar)},
                    optional={
                        "name": _scalar,
                        "campaigns": st.lists(
                            st.fixed_dictionaries(
                                {"tcr_campaign_id": st.one_of(st.just("CWZTFH1"), _scalar)},
                                optional={"numbers": st.lists(_scalar, max_size=4), "extra": _tree},
                            ),
                            max_size=3,
                        ),
                    },
                ),
                max_size=3,
            ),
            "policy": st.one_of(st.dictionaries(_key, _scalar, max_size=3), _tree),
        },
    )
)
def test_near_valid_documents(scratch: Path, tree: Any) -> None:
    _load_bytes(scratch, yaml.safe_dump(tree, allow_unicode=True).encode("utf-8"))
