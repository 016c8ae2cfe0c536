"""Bounded fan-out for independent reads: `[fn(x) for x in items]` on a few threads.

The pool bounds threads, not requests: the transport's semaphore bounds requests in flight,
so nested fan-outs (per profile, then per page) cannot exceed the client's concurrency.
"""

from __future__ import annotations

from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from typing import Any, Callable, Iterable, TypeVar

T = TypeVar("T")
R = TypeVar("R")


def map_concurrent(fn: Callable[[T], R], items: Iterable[T], workers: int) -> list[R]:
    """`[fn(x) for x in items]`, run on up to `workers` threads; results in input order.

    The first exception cancels what has not started and is re-raised.
    """
    items = list(items)
    if len(items) <= 1 or workers == 1:
        return [fn(x) for x in items]
    results: list[Any] = [None] * len(items)
    with ThreadPoolExecutor(max_workers=min(workers, len(items)), thread_name_prefix="telnyx") as pool:
        futs = {pool.submit(fn, x): i for i, x in enumerate(items)}
        done, pending = wait(futs, return_when=FIRST_EXCEPTION)
        for f in done:
            if f.exception() is not None:
                for p in pending:
                    p.cancel()
                raise f.exception()  # type: ignore[misc]
        for f, i in futs.items():
            results[i] = f.result()
    return results
