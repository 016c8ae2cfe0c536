"""The broken-input corpus: each case must fail with DesiredStateError (nothing
else), and name the file, line, column and cause.

Committed cases live in `corpus/` (one file or folder each). Cases that git
should not hold (a symlink loop, a huge file) are built in a temporary folder.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from .conftest import CORPUS, PROFILE, PROFILE_2, doc, problems_of, write

# (case, shown path, line, col, message substring). A case may appear twice.
CASES: list[tuple[str, str, int, int, str]] = [
    # malformed YAML
    ("yaml-unclosed-flow.yaml", "yaml-unclosed-flow.yaml", 4, 1, "YAML syntax error: did not find expected ',' or ']'"),
    ("yaml-unclosed-quote.yaml", "yaml-unclosed-quote.yaml", 4, 1, "while scanning a quoted scalar started at line 3, column 9"),
    ("yaml-bad-indent.yaml", "yaml-bad-indent.yaml", 4, 4, "YAML syntax error"),
    ("yaml-colon-in-plain.yaml", "yaml-colon-in-plain.yaml", 4, 2, "did not find expected key"),
    ("two-documents.yaml", "two-documents.yaml", 2, 1, "a second YAML document"),
    ("complex-key.yaml", "complex-key.yaml", 2, 3, "mapping keys must be plain words"),
    # duplicate keys
    ("dup-key-top.yaml", "dup-key-top.yaml", 3, 1, "duplicate key 'version' (first at line 1, column 1)"),
    ("dup-key-nested.yaml", "dup-key-nested.yaml", 5, 5, "duplicate key 'id' (first at line 3, column 5)"),
    # anchors, aliases, tags
    ("alias.yaml", "alias.yaml", 6, 18, "YAML anchors (&nums) are not allowed"),
    ("alias.yaml", "alias.yaml", 9, 18, "YAML aliases (*nums) are not allowed"),
    ("alias-bomb.yaml", "alias-bomb.yaml", 8, 32, "YAML aliases (*f) are not allowed"),
    ("tag-python-object.yaml", "tag-python-object.yaml", 2, 9, "YAML tags (!!python/object/apply:os.system) are not allowed"),
    ("tag-custom.yaml", "tag-custom.yaml", 8, 13, "YAML tags (!phone) are not allowed"),
    # tabs, encodings, bytes
    ("tab-indent.yaml", "tab-indent.yaml", 3, 1, "YAML does not allow tabs for indentation"),
    ("tab-after-dash.yaml", "tab-after-dash.yaml", 8, 12, "tabs"),
    ("bom-utf8-version-2.yaml", "bom-utf8-version-2.yaml", 1, 10, "unsupported version 2"),
    ("bom-utf16.yaml", "bom-utf16.yaml", 1, 1, "UTF-16"),
    ("bom-mid-file.yaml", "bom-mid-file.yaml", 2, 2, "byte-order mark (U+FEFF)"),
    ("non-utf8-latin1.yaml", "non-utf8-latin1.yaml", 4, 14, "not valid UTF-8 (byte 0xe9)"),
    ("control-char.yaml", "control-char.yaml", 3, 13, "U+0007 is not allowed"),
    ("nul-byte.yaml", "nul-byte.yaml", 1, 11, "U+0000 is not allowed"),
    # empty and wrong-shaped documents
    ("empty.yaml", "empty.yaml", 1, 1, "empty file; expected version: 1"),
    ("only-comments.yaml", "only-comments.yaml", 1, 1, "empty file; expected version: 1"),
    ("only-whitespace.yaml", "only-whitespace.yaml", 1, 1, "empty file; expected version: 1"),
    ("null-document.yaml", "null-document.yaml", 1, 1, "got an empty document"),
    ("top-level-list.yaml", "top-level-list.yaml", 1, 1, "expected a mapping with version: 1 at the top level, got a list"),
    ("top-level-scalar.yaml", "top-level-scalar.yaml", 1, 1, "got a string"),
    ("empty-folder", "empty-folder", 0, 0, "no desired-state files"),
    # version
    ("missing-version.yaml", "missing-version.yaml", 1, 1, "missing required key 'version'"),
    ("version-2.yaml", "version-2.yaml", 1, 10, "unsupported version 2; this reconciler reads version: 1"),
    ("version-string.yaml", "version-string.yaml", 1, 10, "'version' must be the number 1 (unquoted)"),
    # unknown keys, wrong types
    ("unknown-top-key.yaml", "unknown-top-key.yaml", 2, 1, "unknown key 'profile'; did you mean 'profiles'?"),
    ("unknown-profile-key.yaml", "unknown-profile-key.yaml", 5, 5, "unknown key 'nmae'; did you mean 'name'?"),
    ("unknown-policy-key.yaml", "unknown-policy-key.yaml", 4, 3, "unknown key 'max_unassigns'"),
    ("profiles-mapping.yaml", "profiles-mapping.yaml", 3, 3, "'profiles' must be a list, got a mapping"),
    ("profiles-null.yaml", "profiles-null.yaml", 2, 1, "'profiles' must be a list, got an empty value"),
    ("campaigns-empty.yaml", "campaigns-empty.yaml", 4, 16, "a profile needs at least one campaign"),
    ("campaign-missing-numbers.yaml", "campaign-missing-numbers.yaml", 5, 9, "missing required key 'numbers'"),
    ("numbers-string.yaml", "numbers-string.yaml", 7, 18, "'numbers' must be a list, got a string"),
    ("name-yaml-bool.yaml", "name-yaml-bool.yaml", 4, 11, 'YAML read this as a boolean: quote it: "no"'),
    ("policy-prune-string.yaml", "policy-prune-string.yaml", 3, 10, "'prune' must be true or false, got a string"),
    ("policy-negative.yaml", "policy-negative.yaml", 3, 17, "'max_unassign' must be at least 0, got -5"),
    ("policy-percent-over.yaml", "policy-percent-over.yaml", 3, 25, "'max_reassign_percent' must be at most 100"),
    ("policy-nan.yaml", "policy-nan.yaml", 3, 25, "must be a number from 0 to 100, got .nan"),
    ("policy-null.yaml", "policy-null.yaml", 2, 1, "'policy' must be a mapping, got an empty value"),
    # numbers
    ("number-yaml-int.yaml", "number-yaml-int.yaml", 9, 13, 'YAML read this as a number; quote it: "+13125550101"'),
    ("number-yaml-int-no-plus.yaml", "number-yaml-int-no-plus.yaml", 8, 13, 'YAML read this as a number; quote it: "+13125550101"'),
    ("number-spaces.yaml", "number-spaces.yaml", 8, 13, 'write it as "+13125550101"'),
    ("number-dashes.yaml", "number-dashes.yaml", 8, 13, 'write it as "+13125550101"'),
    ("number-unquoted-dashes.yaml", "number-unquoted-dashes.yaml", 8, 13, 'write it as "+13125550101"'),
    ("number-brackets.yaml", "number-brackets.yaml", 8, 13, 'write it as "+13125550101"'),
    ("number-no-plus.yaml", "number-no-plus.yaml", 8, 13, 'write it as "+13125550101"'),
    ("number-too-short.yaml", "number-too-short.yaml", 8, 13, "not a phone number in E.164 form"),
    ("number-not-nanp.yaml", "number-not-nanp.yaml", 8, 13, "not a phone number in E.164 form"),
    ("number-fullwidth-digits.yaml", "number-fullwidth-digits.yaml", 8, 13, "not a phone number in E.164 form"),
    ("number-null-item.yaml", "number-null-item.yaml", 8, 12, "expected a phone number as a quoted string"),
    ("number-toll-free.yaml", "number-toll-free.yaml", 8, 13, "toll-free"),
    ("number-toll-free-833.yaml", "number-toll-free-833.yaml", 8, 13, "toll-free"),
    ("number-canada.yaml", "number-canada.yaml", 8, 13, "not a US number: area code 416 belongs to CA"),
    ("number-puerto-rico.yaml", "number-puerto-rico.yaml", 8, 13, "not a US number"),
    ("number-area-code-0.yaml", "number-area-code-0.yaml", 8, 13, "the area code (012) cannot start with 0"),
    ("number-area-code-1.yaml", "number-area-code-1.yaml", 8, 13, "the area code (112) cannot start with 1"),
    ("number-exchange-0.yaml", "number-exchange-0.yaml", 8, 13, "the exchange (055) cannot start with 0"),
    ("number-exchange-1.yaml", "number-exchange-1.yaml", 8, 13, "the exchange (155) cannot start with 1"),
    ("number-unassigned-area-code.yaml", "number-unassigned-area-code.yaml", 8, 13, "area code 999 is not in service"),
    ("number-premium-900.yaml", "number-premium-900.yaml", 8, 13, "premium-rate"),
    ("number-twice-same-file.yaml", "number-twice-same-file.yaml", 10, 13,
     "+13125550100 is declared 2 times: number-twice-same-file.yaml:8:13, number-twice-same-file.yaml:10:13"),
    # ids
    ("uuid-bad.yaml", "uuid-bad.yaml", 3, 9, "is not a messaging profile id"),
    ("uuid-uppercase.yaml", "uuid-uppercase.yaml", 3, 9, f'must be in lower case: "{PROFILE}"'),
    ("uuid-int.yaml", "uuid-int.yaml", 3, 9, "'id' must be a string, got a number"),
    ("tcr-too-short.yaml", "tcr-too-short.yaml", 6, 26, '"C1234" is not a TCR campaign id'),
    ("tcr-lowercase.yaml", "tcr-lowercase.yaml", 6, 26, 'must be in upper case: "CWZTFH1"'),
    ("tcr-block-scalar-newline.yaml", "tcr-block-scalar-newline.yaml", 6, 26, "line break"),
    ("campaign-twice-in-profile.yaml", "campaign-twice-in-profile.yaml", 9, 26, "campaign CWZTFH1 is listed twice under this profile"),
    # across files
    ("dup-number-across-files", "dup-number-across-files/team-b/b.yaml", 9, 13,
     "+13125550101 is declared 2 times: dup-number-across-files/a.yaml:9:13, dup-number-across-files/team-b/b.yaml:9:13"),
    ("dup-profile-across-files", "dup-profile-across-files/b.yml", 3, 9,
     f"profile {PROFILE} is declared 2 times: dup-profile-across-files/a.yaml:3:9, dup-profile-across-files/b.yml:3:9"),
    ("policy-in-two-files", "policy-in-two-files/policy.yaml", 2, 1,
     "policy is declared 2 times: policy-in-two-files/a.yaml:9:1, policy-in-two-files/policy.yaml:2:1"),
    ("mixed-good-and-bad-files", "mixed-good-and-bad-files/b-bad.yaml", 3, 9, "is not a messaging profile id"),
]


def _check(case: str | Path, shown: str, line: int, col: int, needle: str) -> None:
    problems = problems_of(case)
    here = [p for p in problems if (p.path, p.line, p.col) == (shown, line, col)]
    rendered = "\n".join(str(p) for p in problems)
    assert here, f"no problem at {shown}:{line}:{col}; got:\n{rendered}"
    assert any(needle in p.message for p in here), f"{needle!r} not at {shown}:{line}:{col}; got:\n{rendered}"
    # A folder, a link or a missing path has no position: `path: message`, never a made-up 1:1.
    assert (f"{shown}:{line}:{col}: " if line else f"{shown}: ") in rendered


@pytest.mark.parametrize("case,shown,line,col,needle", CASES, ids=[f"{c[0]}@{c[2]}:{c[3]}" for c in CASES])
def test_corpus_case(case: str, shown: str, line: int, col: int, needle: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(CORPUS)
    _check(case, shown, line, col, needle)


def test_corpus_is_complete() -> None:
    """Every committed case is in the table, and there are at least 40."""
    on_disk = {p.name for p in CORPUS.iterdir() if not p.name.startswith(".")}
    in_table = {c[0] for c in CASES}
    assert on_disk == in_table
    assert len(in_table) >= 40


def test_mixed_folder_reports_only_the_bad_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(CORPUS)
    problems = problems_of("mixed-good-and-bad-files")
    assert {p.path for p in problems} == {"mixed-good-and-bad-files/b-bad.yaml"}


def test_alias_bomb_reports_without_expanding(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(CORPUS)
    problems = problems_of("alias-bomb.yaml")
    assert sum("aliases" in p.message for p in problems) == 6 * 9  # one per alias, not 9**6


# ---------------------------------------------------------------- generated cases


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_symlink_loop(in_tmp: Path) -> None:
    write(in_tmp, "desired/a.yaml", doc())
    os.symlink(".", in_tmp / "desired" / "loop")  # desired/loop -> desired
    _check("desired", "desired/loop", 0, 0, "symlink loop: this folder is desired, which is already read")


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_symlink_loop_deeper(in_tmp: Path) -> None:
    write(in_tmp, "desired/team/a.yaml", doc())
    os.symlink("..", in_tmp / "desired" / "team" / "up")  # -> desired
    _check("desired", "desired/team/up", 0, 0, "symlink loop")


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_self_referencing_link(in_tmp: Path) -> None:
    write(in_tmp, "desired/a.yaml", doc())
    os.symlink("self.yaml", in_tmp / "desired" / "self.yaml")
    _check("desired", "desired/self.yaml", 0, 0, "symlink loop: this link (self.yaml) points back to itself")


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_broken_symlink(in_tmp: Path) -> None:
    write(in_tmp, "desired/a.yaml", doc())
    os.symlink("gone.yaml", in_tmp / "desired" / "b.yaml")
    _check("desired", "desired/b.yaml", 0, 0, "broken symlink: points to gone.yaml")


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_second_link_to_a_file(in_tmp: Path) -> None:
    write(in_tmp, "desired/a.yaml", doc())
    os.symlink("a.yaml", in_tmp / "desired" / "b.yaml")
    _check("desired", "desired/b.yaml", 1, 1, "this file is desired/a.yaml again")


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_symlinked_folder_outside_is_followed_only_when_allowed(in_tmp: Path, monkeypatch) -> None:
    write(in_tmp, "shared/team.yaml", doc(profile=PROFILE_2, numbers='          - "+13125550101"\n'))
    write(in_tmp, "desired/a.yaml", doc())
    os.symlink("../shared", in_tmp / "desired" / "shared")
    from reconciler.desired import load_desired
    from reconciler.errors import DesiredStateError

    with pytest.raises(DesiredStateError, match="outside desired: not followed"):
        load_desired("desired")
    monkeypatch.setenv("RECONCILER_FOLLOW_LINKS", "1")
    state = load_desired("desired")
    assert state.numbers["+13125550101"].path == "desired/shared/team.yaml"


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
@pytest.mark.parametrize("target", ["outside.yaml", "outside"])
def test_a_named_path_that_a_link_takes_out_of_the_current_folder_is_not_read(tmp_path: Path, monkeypatch,
                                                                            target: str) -> None:
    """`--desired estate/desired-state` made a link to a file or folder elsewhere (a pull request's
    checkout): never read, so none of its values reach the plan comment (outside review)."""
    from reconciler.desired import load_desired
    from reconciler.errors import DesiredStateError

    write(tmp_path, "outside.yaml", "version: SECRETVALUE1\n")
    write(tmp_path, "outside/a.yaml", "version: SECRETVALUE1\n")
    here = tmp_path / "repo"
    (here / "estate").mkdir(parents=True)
    os.symlink(tmp_path / target, here / "estate" / "desired-state")
    monkeypatch.chdir(here)
    with pytest.raises(DesiredStateError) as e:
        load_desired("estate/desired-state")
    assert "outside the current folder: not followed" in str(e.value) and "SECRETVALUE1" not in str(e.value)
    monkeypatch.setenv("RECONCILER_FOLLOW_LINKS", "1")
    with pytest.raises(DesiredStateError, match="SECRETVALUE1"):  # read when allowed: its error quotes it
        load_desired("estate/desired-state")
    monkeypatch.delenv("RECONCILER_FOLLOW_LINKS")
    # A link that stays in the folder, and a path named outside it, are read as before.
    os.remove(here / "estate" / "desired-state")
    write(here, "real/a.yaml", doc())
    os.symlink(here / "real", here / "estate" / "desired-state")
    assert load_desired("estate/desired-state").numbers
    with pytest.raises(DesiredStateError, match="SECRETVALUE1"):
        load_desired(str(tmp_path / target))


def test_missing_path(in_tmp: Path) -> None:
    _check("nowhere", "nowhere", 0, 0, "no such file or directory")


def test_huge_file(in_tmp: Path) -> None:
    """100,000 numbers and one bad one at the end: found, at its line."""
    count = 100_000
    body = "".join(f'          - "+1312{200 + i // 10000}{i % 10000:04d}"\n' for i in range(count))
    write(in_tmp, "huge.yaml", doc(numbers=body + "          - +13129999999x\n"))
    line = 8 + count
    _check("huge.yaml", "huge.yaml", line, 13, "not a phone number in E.164 form")


def test_huge_file_with_duplicates_across_files(in_tmp: Path) -> None:
    body = "".join(f'          - "+1312{200 + i // 10000}{i % 10000:04d}"\n' for i in range(20_000))
    write(in_tmp, "d/a.yaml", doc(numbers=body))
    write(in_tmp, "d/b.yaml", doc(profile=PROFILE_2, numbers=body))
    problems = problems_of("d")
    assert len(problems) == 20_000
    assert all(p.path == "d/b.yaml" and "declared 2 times: d/a.yaml:" in p.message for p in problems)
