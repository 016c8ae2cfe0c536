"""Every broken input of the corpus, through the real CLI: exit 1, file:line:col, no traceback."""

from __future__ import annotations

import os
import re

import pytest
from click.testing import CliRunner

from reconciler.cli import cli

from .conftest import CORPUS
from .test_corpus import CASES

POSITION = re.compile(r"^error: .+:\d+:\d+: ", re.M)


@pytest.mark.parametrize("case", sorted({c[0] for c in CASES}))
def test_validate_rejects_corpus_case_cleanly(case: str) -> None:
    path = CORPUS / case
    assert path.exists(), path
    cwd = os.getcwd()
    os.chdir(CORPUS)
    try:
        result = CliRunner().invoke(cli, ["validate", "--desired", case])
    finally:
        os.chdir(cwd)
    assert result.exit_code == 1, result.output
    # `path:line:col:` for a problem inside a file; a folder has no position to point at.
    assert POSITION.search(result.stderr) or (path.is_dir() and f"error: {case}: " in result.stderr), result.stderr
    assert case in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert result.stdout == ""
