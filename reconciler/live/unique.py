"""One record per number: what the reads found, settled where two of them disagree.

A read of live state collects numbers and assignments from several lists (a page of every number,
each profile's numbers, each campaign's assignments, numbers asked for by name). Collected into a
dict, the last copy used to win: an outside review made `apply` PATCH an undeclared number through a
second, forged record of a declared one (it carried the other number's id), and re-provision a
converged number through a second assignment record naming another campaign.

Now an identical copy (a list that shifted while it was paged) is dropped; two copies that differ
are settled by asking for that number on its own, the one answer Telnyx gives about it alone, and
refused if that answer still disagrees with itself. Two numbers that carry one id are refused: the
id is what a PATCH writes to.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

from reconciler.model import LiveNumber

from .errors import ApiError

T = TypeVar("T")


def inconsistent(call: str, why: str) -> ApiError:
    """A list answer that names one number twice, differently: stop rather than plan on a guess."""
    return ApiError(call, None, code="list_inconsistent", title="two records disagree about one number",
                    detail=why)


def settle(found: Iterable[T], key: Callable[[T], str], reread: Callable[[list[str]], Iterable[T]] | None,
           call: str) -> dict[str, T]:
    """{key: record} of `found`, one record per key. Keys found with differing records are asked for
    again with `reread` (their answers replace them; a key it does not return is dropped: it has no
    record now); with no `reread`, or if the answer disagrees with itself, the read is refused."""
    out: dict[str, T] = {}
    differ: set[str] = set()
    for record in found:
        k = key(record)
        have = out.get(k)
        if have is not None and have != record:
            differ.add(k)
        out[k] = record
    if not differ:
        return out
    if reread is None:
        raise inconsistent(call, f"{_first(differ)} is listed twice with different contents"
                                 + _more(differ))
    again = settle(reread(sorted(differ)), key, None, call)
    for k in differ:
        if k in again:
            out[k] = again[k]
        else:
            del out[k]
    return out


def one_id_each(numbers: Iterable[LiveNumber], call: str) -> None:
    """Refuse numbers that share an id: a PATCH by that id would change another number."""
    owner: dict[str, str] = {}
    for n in numbers:
        other = owner.setdefault(n.id, n.number)
        if other != n.number:
            a, b = sorted((other, n.number))
            raise inconsistent(call, f"{a} and {b} carry the same id {n.id}")


def _first(keys: set[str]) -> str:
    return min(keys)


def _more(keys: set[str]) -> str:
    return f" (and {len(keys) - 1} more)" if len(keys) > 1 else ""
