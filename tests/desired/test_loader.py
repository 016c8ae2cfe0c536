"""Unit tests of the loader: valid input, merging, rules, paths, the number rule."""

from __future__ import annotations

import gc
import os
from pathlib import Path

import pytest
import yaml

from reconciler.desired import explain_number, is_us_long_code, load_desired, validate_files
from reconciler.desired.loader import display_path
from reconciler.errors import DesiredStateError
from reconciler.model import DesiredNumber, DesiredProfile, DesiredState, Location, Policy

from .conftest import PROFILE, PROFILE_2, doc, problems_of, write

EXAMPLE = f"""\
# yaml-language-server: $schema=../schemas/desired-state.schema.json
version: 1
profiles:
  - id: {PROFILE}   # Telnyx messaging profile id (UUID)
    name: acme-marketing
    campaigns:
      - tcr_campaign_id: CWZTFH1
        numbers:
          - "+13125550100"
          - '+13125550101'
      - tcr_campaign_id: CABCDE2
        numbers: ["+12025550123", "+12025550124"]
  - id: {PROFILE_2}
    campaigns:
      - tcr_campaign_id: CWZTFH1
        numbers:
          - "+14155550142"
policy:
  prune: false
  max_unassign: 10
  max_unassign_percent: 25.5
  max_reassign: 3.0
  max_reassign_percent: 30
"""


def test_valid_example(in_tmp: Path) -> None:
    write(in_tmp, "desired-state/acme.yaml", EXAMPLE)
    state = load_desired("desired-state")
    assert isinstance(state, DesiredState)
    assert list(state.numbers) == ["+13125550100", "+13125550101", "+12025550123", "+12025550124", "+14155550142"]
    assert state.numbers["+13125550100"] == DesiredNumber(
        "+13125550100", PROFILE, "CWZTFH1", "desired-state/acme.yaml", 9, 13
    )
    assert state.numbers["+12025550124"].where == Location("desired-state/acme.yaml", 12, 35)
    assert state.profiles[PROFILE] == DesiredProfile(
        PROFILE, "acme-marketing", ("CWZTFH1", "CABCDE2"), Location("desired-state/acme.yaml", 4, 9)
    )
    assert state.profiles[PROFILE_2].name is None
    assert state.campaigns() == frozenset({"CWZTFH1", "CABCDE2"})
    assert state.policy == Policy(
        prune=False,
        max_unassign=10,
        max_unassign_percent=25.5,
        max_reassign=3,
        max_reassign_percent=30.0,
        where=Location("desired-state/acme.yaml", 18, 1),
    )
    assert type(state.policy.max_reassign) is int
    assert validate_files("desired-state") == state


def _dump(state: DesiredState) -> str:
    """What `import` would write: the state back as desired-state YAML."""
    profiles = []
    for profile in state.profiles.values():
        campaigns = [
            {
                "tcr_campaign_id": cid,
                "numbers": [n.number for n in state.numbers.values() if n.profile_id == profile.id and n.tcr_campaign_id == cid],
            }
            for cid in profile.campaigns
        ]
        entry: dict[str, object] = {"id": profile.id}
        if profile.name is not None:
            entry["name"] = profile.name
        entry["campaigns"] = campaigns
        profiles.append(entry)
    return yaml.safe_dump({"version": 1, "profiles": profiles}, sort_keys=False)


def test_round_trip(in_tmp: Path) -> None:
    write(in_tmp, "a.yaml", EXAMPLE)
    first = load_desired("a.yaml")
    write(in_tmp, "b.yaml", _dump(first))
    second = load_desired("b.yaml")
    strip = lambda s: {k: (n.profile_id, n.tcr_campaign_id) for k, n in s.numbers.items()}  # noqa: E731
    assert strip(second) == strip(first)
    assert {k: (p.name, p.campaigns) for k, p in second.profiles.items()} == {
        k: (p.name, p.campaigns) for k, p in first.profiles.items()
    }


@pytest.mark.parametrize(
    "text",
    [
        "version: 1\n",
        "version: 1.0\n",
        "version: 1\nprofiles: []\n",
        "version: 1\npolicy:\n  prune: true\n",
        "version: 1\npolicy: {}\n",
        doc(numbers="").replace("        numbers:\n", "        numbers: []\n"),
        "\ufeffversion: 1\n",  # a UTF-8 BOM is accepted
        "---\nversion: 1\n...\n",
        "version: 1\r\nprofiles: []\r\n",
        doc().replace("name: acme-marketing", "name: !!str 123"),
    ],
    ids=["version-only", "version-1.0", "empty-profiles", "policy-only", "empty-policy", "empty-numbers", "bom", "explicit-doc", "crlf", "str-tag"],
)
def test_valid_edge_cases(text: str, in_tmp: Path) -> None:
    write(in_tmp, "f.yaml", text)
    assert isinstance(load_desired("f.yaml"), DesiredState)


def test_policy_defaults_when_absent(in_tmp: Path) -> None:
    write(in_tmp, "f.yaml", doc())
    assert load_desired("f.yaml").policy == Policy()


def test_str_tag_value(in_tmp: Path) -> None:
    write(in_tmp, "f.yaml", doc().replace("name: acme-marketing", "name: !!str 123"))
    assert load_desired("f.yaml").profiles[PROFILE].name == "123"


def test_bom_does_not_shift_columns(in_tmp: Path) -> None:
    write(in_tmp, "f.yaml", b"\xef\xbb\xbf" + doc().encode())
    assert load_desired("f.yaml").numbers["+13125550100"].where == Location("f.yaml", 8, 13)


def test_crlf_line_numbers(in_tmp: Path) -> None:
    write(in_tmp, "f.yaml", doc(numbers='          - "+13125550100"\n          - "+13125550101"\n').replace("\n", "\r\n"))
    assert load_desired("f.yaml").numbers["+13125550101"].line == 9


def test_campaign_under_two_profiles_is_fine(in_tmp: Path) -> None:
    write(in_tmp, "d/a.yaml", doc())
    write(in_tmp, "d/b.yaml", doc(profile=PROFILE_2, numbers='          - "+13125550101"\n'))
    state = load_desired("d")
    assert state.numbers["+13125550101"].profile_id == PROFILE_2
    assert state.campaigns() == {"CWZTFH1"}


def test_folder_is_read_recursively_in_sorted_order(in_tmp: Path) -> None:
    write(in_tmp, "d/z.yaml", doc(numbers='          - "+13125550103"\n'))
    write(in_tmp, "d/a/b.yml", doc(profile=PROFILE_2, numbers='          - "+13125550102"\n', campaign="CABCDE2"))
    write(in_tmp, "d/a.yaml", "version: 1\npolicy:\n  prune: true\n")
    write(in_tmp, "d/ignored.json", "{}")
    write(in_tmp, "d/notes.txt", "version: 2")
    state = load_desired("d")
    assert list(state.numbers) == ["+13125550102", "+13125550103"]  # d/a/b.yml before d/z.yaml
    assert state.policy.prune is True
    assert state.policy.where == Location("d/a.yaml", 2, 1)


def test_one_file_of_any_name(in_tmp: Path) -> None:
    write(in_tmp, "state.txt", doc())
    assert "+13125550100" in load_desired("state.txt").numbers
    assert "+13125550100" in load_desired(Path("state.txt")).numbers


def test_every_problem_in_every_file_in_one_run(in_tmp: Path) -> None:
    write(in_tmp, "d/a.yaml", doc(numbers='          - +13125550100\n          - "+18005550100"\n'))
    write(in_tmp, "d/b.yaml", "version: 1\nprofiles: [\n")
    write(in_tmp, "d/c.yaml", "")
    write(in_tmp, "d/d.yaml", doc(profile="nope", numbers='          - "+1 312 555 0100"\n'))
    problems = problems_of("d")
    assert [(p.path, p.line, p.col) for p in problems] == [
        ("d/a.yaml", 8, 13),
        ("d/a.yaml", 9, 13),
        ("d/b.yaml", 3, 1),
        ("d/c.yaml", 1, 1),
        ("d/d.yaml", 3, 9),
        ("d/d.yaml", 8, 13),
    ]


def test_number_declared_three_times_names_every_place(in_tmp: Path) -> None:
    n = '          - "+13125550100"\n'
    write(in_tmp, "d/a.yaml", doc(numbers=n + n))
    write(in_tmp, "d/b.yaml", doc(profile=PROFILE_2, numbers=n))
    [problem] = problems_of("d")
    assert (problem.path, problem.line, problem.col) == ("d/a.yaml", 9, 13)
    assert "declared 3 times: d/a.yaml:8:13, d/a.yaml:9:13, d/b.yaml:8:13" in problem.message


def test_error_text_is_path_line_col_message(in_tmp: Path) -> None:
    write(in_tmp, "f.yaml", doc(numbers="          - +13125550100\n"))
    with pytest.raises(DesiredStateError) as info:
        load_desired("f.yaml")
    assert str(info.value) == 'f.yaml:8:13: YAML read this as a number; quote it: "+13125550100"'
    assert info.value.exit_code == 1


def test_absolute_path_under_cwd_is_shown_relative(in_tmp: Path) -> None:
    write(in_tmp, "d/f.yaml", "version: 2\n")
    [problem] = problems_of(in_tmp / "d")
    assert problem.path == os.path.join("d", "f.yaml")


def test_path_outside_cwd_is_shown_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, "d/f.yaml", "version: 2\n")
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    [problem] = problems_of(tmp_path / "d")
    assert problem.path == str(tmp_path / "d" / "f.yaml")
    assert display_path("../d/f.yaml") == "../d/f.yaml"


def test_gc_is_restored(in_tmp: Path) -> None:
    write(in_tmp, "good.yaml", doc())
    write(in_tmp, "bad.yaml", "version: [\n")
    assert gc.isenabled()
    load_desired("good.yaml")
    assert gc.isenabled()
    problems_of("bad.yaml")
    assert gc.isenabled()
    gc.disable()
    try:
        load_desired("good.yaml")
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_shared_strings_are_interned(in_tmp: Path) -> None:
    write(in_tmp, "f.yaml", doc(numbers='          - "+13125550100"\n          - "+13125550101"\n'))
    a, b = load_desired("f.yaml").numbers.values()
    assert a.profile_id is b.profile_id and a.tcr_campaign_id is b.tcr_campaign_id and a.path is b.path


# ---------------------------------------------------------------- the number rule

NUMBERS = [
    ("+13125550100", None),
    ("+12025550123", None),
    ("+19175550123", None),
    ("+13125550100\n", '"+13125550100\\n" is not in E.164 form; write it as "+13125550100"'),
    ("+1 312 555 0100", 'write it as "+13125550100"'),
    ("+1.312.555.0100", 'write it as "+13125550100"'),
    ("312–555–0100", 'write it as "+13125550100"'),  # en dashes
    ("3125550100", 'write it as "+13125550100"'),
    ("+1 800 555 0100", "even then: +18005550100 is a toll-free number"),
    ("+18775550100", "toll-free"),
    ("+16135550100", "belongs to CA"),
    ("+18095550100", "belongs to DO"),
    ("+16715550100", "belongs to GU"),
    ("+10005550100", "area code (000) cannot start with 0"),
    ("+13120000000", "exchange (000) cannot start with 0"),
    ("+15555550100", "not in service"),
    ("+19115550100", "not in service"),
    ("+442071838750", "E.164"),
    ("", "E.164"),
    ("+", "E.164"),
    (13125550100, 'quote it: "+13125550100"'),
    (True, "got a boolean"),
    (None, "got an empty value"),
    (3.5, "got a number"),
    ([1], "got a list"),
]


@pytest.mark.parametrize("value,expected", NUMBERS, ids=[repr(v) for v, _ in NUMBERS])
def test_number_rule(value: object, expected: str | None) -> None:
    assert is_us_long_code(value) is (expected is None)
    message = explain_number(value)
    if expected is None:
        assert message is None
    else:
        assert message is not None and expected in message
