"""Profile moves: a number needs its messaging profile before a campaign, so moves come first in
a round and are waited for even with --no-wait."""

from __future__ import annotations

from reconciler.diff import Finding, reported_under
from reconciler.journal import Op, State
from reconciler.model import LiveState, plural

from .submit import Submitter


def move_numbers(sub: Submitter, moves: list[Finding], live: LiveState | None) -> set[str]:
    """Profile moves, waited for even with --no-wait: a campaign needs the profile first."""
    failed: set[str] = set()
    by_target: dict[str, list[Finding]] = {}
    for c in moves:  # a move is always of a declared number: to its declared profile
        by_target.setdefault(reported_under(c)[0] or "", []).append(c)
    orders: dict[str, tuple[str, str, list[str]]] = {}  # order id -> (write id, profile, numbers)
    for pid, fs in sorted(by_target.items()):
        numbers = [c.number for c in fs]
        ids = {n: live.numbers[n].id for n in numbers if live and n in live.numbers and live.numbers[n].id}
        if len(fs) == 1 and numbers[0] in ids:
            sent = sub.write(Op.PATCH_PROFILE, numbers, lambda: sub.writer.patch_profile(ids[numbers[0]], pid),
                             profile=pid)
            if sent.ok:
                sub.journal.update(sent.wid, State.DONE, at=sub.server_now())
            else:
                failed.update(numbers)
            continue
        sent = sub.write(Op.BULK_MOVE, numbers, lambda: sub.writer.bulk_move(pid, numbers), profile=pid)
        if not sent.ref:  # refused, lost, or no order to follow
            failed.update(numbers)
            continue
        orders[sent.ref] = (sent.wid, pid, numbers)
    if orders:
        failed |= _confirm(sub, orders)
    return failed

def _confirm(sub: Submitter, orders: dict[str, tuple[str, str, list[str]]]) -> set[str]:
    """Wait for bulk messaging orders: reading the moved numbers while that is cheaper than
    polling each open order, then polling the few orders left (a poll also tells a number
    that failed to move, which a read could only wait out).

    Returns the numbers that did not reach their profile (failed, or not yet moved)."""
    pending = {n: pid for _, pid, numbers in orders.values() for n in numbers}
    failed: set[str] = set()
    polled: set[str] = set()
    waiter = sub.waiter()
    sub.progress(f"waiting for {plural(len(orders), 'bulk profile update', 'bulk profile updates')} of {plural(len(pending), 'number', 'numbers')}")
    while pending:
        open_orders = [o for o, (_, _, numbers) in orders.items() if any(n in pending for n in numbers)]
        if len(open_orders) <= sub.writer.profile_read_cost(len(pending)):
            for order in open_orders:
                wid, _, numbers = orders[order]
                result = sub.wait_order(order, wid)
                polled.add(order)
                left = set(result.get("failed", [])) | set(result.get("pending", []))
                failed |= left & set(numbers)
                for n in numbers:
                    pending.pop(n, None)
            break
        if not waiter.more():
            break
        where = sub.writer.profiles_of(sorted(pending))
        pending = {n: pid for n, pid in pending.items() if where.get(n) != pid}
        if pending:
            waiter.nap()
    failed |= set(pending)
    for order, (wid, pid, numbers) in orders.items():
        if order not in polled:  # confirmed by reading: close it in the journal
            left = [n for n in numbers if n in failed]
            if left:
                sub.journal.update(wid, State.ACCEPTED, at=sub.server_now(),
                                    detail=f"{plural(len(left), 'number', 'numbers')} not yet moved when apply stopped waiting")
            else:
                sub.journal.update(wid, State.DONE, at=sub.server_now())
    return failed
