"""The big-file fast path must build exactly what the YAML parser builds, marks included."""

from __future__ import annotations

import random

import pytest

from reconciler.desired import load_desired
from reconciler.desired._runs import MIN_BYTES, compose_with_runs
from reconciler.desired._yaml import YMap, YSeq, compose


def _tree(node):
    """Everything the loader reads from a composed document, as plain comparable data."""
    if isinstance(node, YMap):
        return ("map", node.line, node.col, dict(node.kmarks), dict(node.vmarks), dict(node.raws),
                {k: _tree(v) for k, v in node.items()})
    if isinstance(node, YSeq):
        return ("seq", node.line, node.col, list(node.lines), list(node.cols), dict(node.raws),
                [_tree(v) for v in node])
    return node


def _file(seed: int, profiles: int = 60) -> bytes:
    rnd = random.Random(seed)
    out = ["# yaml-language-server: $schema=../schemas/desired-state.schema.json", "version: 1", "profiles:"]
    n = 0
    for p in range(profiles):
        out += [f"  - id: {p:08x}-0000-4000-8000-000000000000", f"    name: p{p}", "    campaigns:"]
        for c in range(rnd.randint(1, 3)):
            out += [f"      - tcr_campaign_id: C{p:03d}{c:03d}", "        numbers:"]
            for _ in range(rnd.randint(0, 120)):
                num = f"+1312{2000000 + n:07d}"
                n += 1
                style = rnd.random()
                if style < 0.80:
                    out.append(f'          - "{num}"')
                elif style < 0.86:
                    out.append(f"          - '{num}'")
                elif style < 0.90:
                    out.append(f'          - "{num}"  # note +13125559999')
                elif style < 0.93:
                    out.append("")
                elif style < 0.95:
                    out.append(f'          - "{num}"   ')
                elif style < 0.97:
                    out.append("          # a comment line")
                    out.append(f'          - "{num}"')
                else:
                    out.append(f"          - {num}")  # unquoted: YAML reads an int
    return ("\n".join(out) + "\n").encode()


@pytest.mark.parametrize("seed", range(6))
def test_fast_path_builds_the_same_tree_as_the_parser(seed: int) -> None:
    data = _file(seed)
    slow, fast_problems, slow_problems = None, [], []
    slow = compose(data, "f.yaml", slow_problems)
    fast = compose_with_runs(data, lambda b: compose(b, "f.yaml", fast_problems), YSeq, YMap)
    assert fast is not None, "the fast path should apply to this file"
    assert fast_problems == slow_problems
    assert _tree(fast) == _tree(slow)


def test_fast_path_declines_when_a_placeholder_would_land_outside_a_list() -> None:
    body = "".join(f'  - "+1312{2000000 + i:07d}"\n' for i in range(20))
    data = ("version: 1\nprofiles:\n  - id: 00000000-0000-4000-8000-000000000000\n"
            "    name: |\n" + body + "    campaigns: []\n").encode()
    assert compose_with_runs(data, lambda b: compose(b, "f.yaml", []), YSeq, YMap) is None


def test_big_file_errors_and_positions_match_the_small_file_path(tmp_path) -> None:
    data = _file(7, profiles=200).replace(b'- "+13122000050"', b'- "+18002000050"')  # toll-free
    assert len(data) > MIN_BYTES
    (tmp_path / "big.yaml").write_bytes(data)
    with pytest.raises(Exception) as big:
        load_desired(tmp_path / "big.yaml")
    line = data[: data.index(b"+18002000050")].count(b"\n") + 1
    assert f"big.yaml:{line}:13: " in str(big.value)
    assert "toll-free" in str(big.value)


@pytest.mark.parametrize("brk", ["\r", "\u0085", "\u2028", "\u2029"])
def test_fast_path_declines_on_any_yaml_line_break_but_lf(brk: str) -> None:
    """YAML breaks lines at these too; the fast path counts only LF, so it must hand over."""
    data = _file(1)
    assert compose_with_runs(data, lambda b: compose(b, "f.yaml", []), YSeq, YMap) is not None
    odd = data.replace(b"version: 1", ("# a comment" + brk + "version: 1").encode("utf-8"), 1)
    assert compose_with_runs(odd, lambda b: compose(b, "f.yaml", []), YSeq, YMap) is None


# Nesting too deep, and links out of the folder or to a device, are refused: tests/faults/hostile_cases.py
# ("names" and "paths"), run by tests/test_render_safety.py, tests/e2e/test_scenarios.py and `make faults`.


def test_a_link_out_of_the_folder_is_followed_when_allowed(tmp_path, monkeypatch) -> None:
    from reconciler.errors import DesiredStateError

    outside = tmp_path / "secret.yaml"
    outside.write_text("SECRET_TOKEN: hunter2\n")
    d = tmp_path / "desired"
    d.mkdir()
    (d / "a.yaml").symlink_to(outside)
    monkeypatch.setenv("RECONCILER_FOLLOW_LINKS", "1")
    with pytest.raises(DesiredStateError) as e:  # followed now: its unknown key is reported
        load_desired(d)
    assert "SECRET_TOKEN" in str(e.value)
