"""The `make mutate` table: mutants per module, killed, survived, score; fails under the minimum.

Reads what `mutmut run` left in ./mutants (one `<module>.meta` JSON per mutated file, with an
exit code per mutant) for the files `[tool.mutmut] only_mutate` in pyproject.toml names, or for the
MODULEs given (a run of one module: `mutmut run --max-children 1 "reconciler.windows*"`).

Score = (killed + timed out) / (mutants - skipped), as mutmut's own badge counts it. A mutant no
selected test even runs ("no tests") counts against the score, like a survivor: it is a line the
fast tests never look at. Exit 1 when a module's score or the total is under `--min` (90 %), 2 when
a module has no results or some mutants were never checked (an interrupted run).

`--markdown FILE` (`-` for stdout) also writes the table as docs/testing.md keeps it, with the commit
measured in a last column, then the survivors' names: the rows in docs/testing.md are copied from it.

    python scripts/mutate_report.py [--min 90] [--survivors] [--markdown FILE] [--commit SHA] [--root .] [MODULE ...]
"""

from __future__ import annotations

import argparse
import json
import subprocess
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


def row(name: str, c: dict[str, int], commit: str | None = None) -> str:
    """One line of the table; with `commit`, the column saying what was measured."""
    s = score(c)
    not_killed = c["survived"] + c["no_tests"] + c["suspicious"]
    notes = [f"{c[k]} {label}" for k, label in (("no_tests", "untested"), ("unchecked", "unchecked")) if c[k]]
    extra = f" ({', '.join(notes)})" if notes else ""
    cells = [name, str(c["mutants"]), str(c["killed"] + c["timeout"]), f"{not_killed}{extra}",
             "n/a" if s is None else f"{s:.1f} %"] + ([commit] if commit is not None else [])
    return "| " + " | ".join(cells) + " |"


def table(rows: list[tuple[str, dict[str, int]]], commit: str | None = None) -> str:
    head = "| module | mutants | killed | survived | score |" + (" commit |" if commit is not None else "")
    rule = "| --- | ---: | ---: | ---: | ---: |" + (" --- |" if commit is not None else "")
    return "\n".join([head, rule] + [row(name, c, commit) for name, c in rows])


def head_commit(root: Path) -> str:
    """The checkout's short commit, `+` when the mutated code or the tests have uncommitted changes
    (then the row is not what that commit measures)."""
    git = ["git", "-C", str(root)]
    try:
        sha = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                             check=True).stdout.strip()
        dirty = subprocess.run([*git, "status", "--porcelain", "--", "reconciler", "tests", "pyproject.toml"],
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return sha + ("+" if dirty else "")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("modules", nargs="*", metavar="MODULE", help="only these files of only_mutate (default: all)")
    ap.add_argument("--root", type=Path, default=Path("."))
    ap.add_argument("--min", type=float, default=90.0, help="least score (percent) of each module and of the total")
    ap.add_argument("--survivors", action="store_true", help="also list every mutant not killed")
    ap.add_argument("--markdown", metavar="FILE", help="also write the table with the commit column, and the "
                    "survivors' names, to FILE (- for stdout)")
    ap.add_argument("--commit", help="the commit measured, for --markdown (default: the checkout's HEAD)")
    args = ap.parse_args(argv)

    listed = modules(args.root)
    unknown = [m for m in args.modules if m not in listed]
    if unknown:
        print(f"not in [tool.mutmut] only_mutate: {', '.join(unknown)}", file=sys.stderr)
        return 2
    rows: list[tuple[str, dict[str, int]]] = []
    missing: list[str] = []
    names: list[str] = []
    total: dict[str, int] = {}
    for module in args.modules or listed:
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
    low = [name for name, c in rows if (s := score(c)) is not None and s < args.min]
    if len(rows) > 1:
        rows.append(("**total**", total))
    print(table(rows))
    if args.survivors and names:
        print("\nnot killed (`mutmut show NAME` prints the change):")
        print("\n".join(f"  {n}" for n in names))
    if args.markdown:
        text = table(rows, args.commit or head_commit(args.root)) + "\n"
        if names:
            text += "\nNot killed (`mutmut show NAME` prints the change):\n\n" + "".join(f"- `{n}`\n" for n in names)
        if args.markdown == "-":
            print("\n" + text, end="")
        else:
            Path(args.markdown).write_text(text, encoding="utf-8")
    if missing:
        print(f"\nno mutmut results for {', '.join(missing)}: run `mutmut run` first", file=sys.stderr)
        return 2
    if total.get("unchecked"):
        print(f"\n{total['unchecked']} mutant(s) never checked (an interrupted run): run `mutmut run` again",
              file=sys.stderr)
        return 2
    under = [f"{name} {score(c):.1f} %" for name, c in rows if name in low]
    s = score(total) if total else None
    if s is None or (s < args.min and len(rows) > 1):  # one module alone: its row is the total
        under.append(f"the total {'n/a' if s is None else f'{s:.1f} %'}")
    if under:
        print(f"\nunder the {args.min:g} % minimum: {', '.join(under)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
