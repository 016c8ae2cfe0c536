"""Write ci/requirements.in and ci/test.in from pyproject.toml (called by `make lock`).

Dependabot's pip updater reads pip-compile pairs by name (`x.in` compiled into `x.txt`), not
pyproject.toml plus a second input, so the lock's inputs are plain `.in` files; this script writes
them from pyproject.toml so the two can never disagree (tests/ci/test_static.py checks they match).
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEADER = "# Written by `make lock` from pyproject.toml ({what}); edit pyproject.toml, not this file.\n"
# The build backend and frontend, so CI installs the reconciler with --no-build-isolation and the
# release workflow builds with `python -m build --no-isolation`: nothing resolved unhashed.
BUILD = ["setuptools>=68", "build>=1.2"]


def inputs(pyproject: dict) -> dict[str, str]:
    project = pyproject["project"]
    runtime = [*project["dependencies"], *BUILD]
    # test.txt is the whole of what `make test` installs: the runtime lock's inputs at its versions, plus the test extra.
    test = ["-r requirements.in", "-c requirements.txt", *project["optional-dependencies"]["test"]]
    return {
        "requirements.in": HEADER.format(what="dependencies, plus the build tools") + "\n".join(runtime) + "\n",
        "test.in": HEADER.format(what="the test extra, on top of requirements.txt") + "\n".join(test) + "\n",
    }


def main() -> int:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    for name, text in inputs(pyproject).items():
        (ROOT / "ci" / name).write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
