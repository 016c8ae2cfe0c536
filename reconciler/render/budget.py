"""The size budget of a markdown report: GitHub refuses comments over 65,536 characters.

A report spends its budget on the parts every reader needs (headline, table, notes), then on the
number lists; a list that does not fit what is left is replaced by a count, and the budget
remembers that it did, so the report can say it was summarised."""

from __future__ import annotations

from dataclasses import dataclass

# GitHub refuses comments over 65,536 characters; leave room for the marker and headers.
MARKDOWN_LIMIT = 60_000


def size(lines: list[str]) -> int:
    """Characters `lines` take once joined with newlines."""
    return sum(len(x) + 1 for x in lines)


@dataclass
class Budget:
    left: int  # characters still to spend
    summarised: bool = False  # a list was replaced by its count to fit

    @classmethod
    def after(cls, written: list[str], *, reserve: int = 2_000, limit: int = MARKDOWN_LIMIT) -> Budget:
        """What is left of `limit` once `written` is in, keeping `reserve` for the closing lines."""
        return cls(limit - size(written) - reserve)

    def spend(self, lines: list[str]) -> None:
        self.left -= size(lines)

    def fit(self, rows: list[str], count_line: str) -> list[str]:
        """`rows` if they fit (and spend them), else `count_line` alone, noting the summary."""
        if size(rows) > self.left:
            self.summarised = True
            return [count_line]
        self.spend(rows)
        return rows
