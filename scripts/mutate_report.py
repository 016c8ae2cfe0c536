"""The `make mutate` table: mutants per module, killed, survived, score; fails under the minimum.

Reads what `mutmut run` left in ./mutants (one `<module>.meta` JSON per mutated file, with an
exit code per mutant) for the files `[tool.mutmut] only_mutate` in pyproject.toml names.

Score = (killed + timed out) / (mutants - skipped), as mutmut's own badge counts it. A mutant no
selected test even runs ("no tests") counts against the score, like a survivor: it is a line the
fast tests never look at. Exit 1 when the total score is under `--min` (90 %), 2 when a module has
no results or some mutants were never checked (an interrupted run).

    python scripts/mutate_report.py [--min 90] [--survivors] [--root .]
"""

from __future__ import annotations

import argparse
import json
import sys
import tomllib
from pathlib import Path

# mutmut 3's exit codes per mutant (mutmut/stats.py), folded into the table's columns.
KILLED = {1, 3, 37}  # a test failed; 3: pytest's internal error; 37: caught by the type checker
TIMEOUT = {36, 24, -24, 152, 255}  # the tests ran too long: mutmut counts it as caught
SURVIVED = {0}
NO_TESTS = {5, 33}
SKIPPED = {34}


def classify(code: int | None) -> str:
    if code is None:
        return "unchecked"
    for name, codes in (("killed", KILLED), ("timeout", TIMEOUT), ("survived", SURVIVED),
                        ("no_tests", NO_TESTS), ("skipped", SKIPPED)):
        if code in codes:
            return name
    return "suspicious"  # a crash or a signal: not a test verdict, so not a kill


def modules(root: Path) -> list[str]:
    cfg = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mutmut"]
    return list(cfg["only_mutate"])


def tally(meta: dict) -> dict[str, int]:
    counts = dict.fromkeys(("killed", "timeout", "survived", "no_tests", "skipped", "suspicious", "unchecked"), 0)
    for code in meta["exit_code_by_key"].values():
        counts[classify(code)] += 1
    counts["mutants"] = len(meta["exit_code_by_key"])
    return counts


def score(c: dict[str, int]) -> float | None:
    tested = c["mutants"] - c["skipped"]
    return None if tested <= 0 else 100.0 * (c["killed"] + c["timeout"]) / tested


def survivors(meta: dict) -> list[str]:
    return sorted(k for k, code in meta["exit_code_by_key"].items()
                  if classify(code) in ("survived", "no_tests", "suspicious"))


def table(rows: list[tuple[str, dict[str, int]]]) -> str:
    head = "| module | mutants | killed | survived | score |"
    lines = [head, "| --- | ---: | ---: | ---: | ---: |"]
    for name, c in rows:
        s = score(c)
        not_killed = c["survived"] + c["no_tests"] + c["suspicious"]
        notes = [f"{c[k]} {label}" for k, label in (("no_tests", "untested"), ("unchecked", "unchecked")) if c[k]]
        extra = f" ({', '.join(notes)})" if notes else ""
        lines.append(f"| {name} | {c['mutants']} | {c['killed'] + c['timeout']} | {not_killed}{extra} | "
                     f"{'n/a' if s is None else f'{s:.1f} %'} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", type=Path, default=Path("."))
    ap.add_argument("--min", type=float, default=90.0, help="least total score (percent) that passes")
    ap.add_argument("--survivors", action="store_true", help="also list every mutant not killed")
    args = ap.parse_args(argv)

    rows: list[tuple[str, dict[str, int]]] = []
    missing: list[str] = []
    names: list[str] = []
    total: dict[str, int] = {}
    for module in modules(args.root):
        meta_path = args.root / "mutants" / (module + ".meta")
        if not meta_path.exists():
            missing.append(module)
            continue
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        c = tally(meta)
        rows.append((module, c))
        names += survivors(meta)
        for k, v in c.items():
            total[k] = total.get(k, 0) + v
    if total:
        rows.append(("**total**", total))
    print(table(rows))
    if args.survivors and names:
        print("\nnot killed (`mutmut show NAME` prints the change):")
        print("\n".join(f"  {n}" for n in names))
    if missing:
        print(f"\nno mutmut results for {', '.join(missing)}: run `mutmut run` first", file=sys.stderr)
        return 2
    if total.get("unchecked"):
        print(f"\n{total['unchecked']} mutant(s) never checked (an interrupted run): run `mutmut run` again",
              file=sys.stderr)
        return 2
    s = score(total) if total else None
    if s is None or s < args.min:
        print(f"\nmutation score {'n/a' if s is None else f'{s:.1f} %'} is under the {args.min:g} % minimum",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
