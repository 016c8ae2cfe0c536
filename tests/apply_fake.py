"""A fake Telnyx for apply's unit tests: two profiles, shared and Telnyx-registered campaigns,
bulk tasks, per-number writes, profile moves, all on a virtual clock. No sockets.

Each test sets up who sits where, scripts what Telnyx does (refuses a write, loses an answer,
fails a move, skips a number another campaign holds) and reads back every request it was sent
(`calls`), so a test can say what apply wrote, how often, and what it asked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from reconciler.apply import Applier, Until
from reconciler.errors import ApiError, ApiUnavailable
from reconciler.journal import Journal
from reconciler.model import (
    SHARED,
    TELNYX,
    DesiredNumber,
    DesiredProfile,
    DesiredState,
    LiveAssignment,
    LiveCampaign,
    LiveNumber,
    LiveState,
    Policy,
)
from reconciler.plan import PlanOptions, make_plan

P1 = "4001767e-ce0f-4cae-9d5f-0d5e636e7809"
P2 = "40017a1c-0000-4cae-9d5f-0d5e636e7810"
SH = "CSHARED1"  # a shared campaign
SH2 = "CSHARED2"  # another shared campaign
TX = "CTELNYX1"  # Telnyx-registered (written by UUID)
TX2 = "CTELNYX2"
UUID = {TX: "uuid-tx-1", TX2: "uuid-tx-2"}
KIND = {SH: SHARED, SH2: SHARED, TX: TELNYX, TX2: TELNYX}
WRITES = {"bulk_assign", "bulk_move", "patch_profile", "assign", "replace", "unassign"}


def num(i: int) -> str:
    return f"+1312555{i:04d}"


@dataclass
class Rec:
    campaign: str
    status: str
    since: float
    reason: str | None = None


@dataclass
class FakeTelnyx:
    profile_of: dict[str, str | None]  # number -> messaging profile (the account's numbers)
    records: dict[str, Rec] = field(default_factory=dict)
    now: float = 0.0
    task_after: float = 60.0  # a bulk task is processed this long after it is sent
    slow_tasks: dict[str, float] = field(default_factory=dict)  # task id -> its own task_after
    pending_for: float = 7200.0  # PENDING_ASSIGNMENT lasts this long
    unassign_for: float = 3600.0  # PENDING_UNASSIGNMENT lasts this long
    order_after: float = 30.0  # a bulk profile update is done this long after it is sent
    fail: set[str] = field(default_factory=set)  # numbers whose next assignment ends FAILED_ASSIGNMENT
    move_fails: set[str] = field(default_factory=set)  # numbers a bulk profile update fails to move
    fail_early: bool = False  # an order still processing already lists the numbers it failed to move
    put_refused: bool = False  # PUT over another campaign is refused (4xx)
    task_status_failed: bool = False  # a processed task calls itself "failed" when it skipped numbers
    read_cost: int = 1000  # profile_read_cost: high = poll orders, 0 = read the moved numbers
    read_batch: int | None = None  # if set, profile_read_cost is the reads of this many numbers each
    errors: dict[str, list[ApiError]] = field(default_factory=dict)  # method -> errors for its next calls
    lost_after_effect: set[str] = field(default_factory=set)  # methods whose lost answer follows the effect
    calls: list[tuple] = field(default_factory=list)
    tasks: dict[str, dict] = field(default_factory=dict)
    orders: dict[str, dict] = field(default_factory=dict)

    # -- clock
    def clock(self) -> float:
        return self.now

    def sleep(self, s: float) -> None:
        assert s >= 0
        self.now += s

    # -- helpers for tests
    def writes(self, method: str | None = None) -> list[tuple]:
        return [c for c in self.calls if c[0] in WRITES and (method is None or c[0] == method)]

    def asked(self, method: str) -> int:
        return sum(1 for c in self.calls if c[0] == method)

    def refuse(self, method: str, status: int = 422, times: int = 1) -> None:
        self.errors.setdefault(method, []).extend(
            ApiError(method, status, "10015", "refused", f"{method} refused") for _ in range(times))

    def lose(self, method: str, times: int = 1) -> None:
        self.errors.setdefault(method, []).extend(ApiUnavailable(method, None) for _ in range(times))

    def _maybe_fail(self, method: str, effect=None):
        queue = self.errors.get(method)
        if queue:
            e = queue.pop(0)
            if method in self.lost_after_effect and effect is not None:
                effect()
            raise e

    # -- Telnyx's own progress
    def _tick(self) -> None:
        for tid, t in self.tasks.items():
            after = self.slow_tasks.get(tid, self.task_after)
            if t["done"] is None and self.now - t["at"] >= after:
                t["done"] = t["at"] + after
                for n, p in sorted(self.profile_of.items()):
                    if p != t["profile"]:
                        continue
                    r = self._status(n)
                    if r is None or r.status in ("FAILED_ASSIGNMENT", "FAILED_UNASSIGNMENT"):
                        self.records[n] = Rec(t["campaign"], "PENDING_ASSIGNMENT", t["done"])
                        t["numbers"].append((n, "success"))
                    elif r.campaign == t["campaign"]:
                        t["numbers"].append((n, "completed"))
                    else:
                        t["numbers"].append((n, "failed"))  # another campaign holds it: skipped
                        t["skipped"] = True
        for o in self.orders.values():
            if not o["done"] and self.now - o["at"] >= self.order_after:
                o["done"] = True
                for n in o["numbers"]:
                    if n not in self.move_fails:
                        self.profile_of[n] = o["profile"]

    def _status(self, n: str) -> Rec | None:
        r = self.records.get(n)
        if r is None:
            return None
        if r.status == "PENDING_ASSIGNMENT" and self.now - r.since >= self.pending_for:
            if n in self.fail:
                self.fail.discard(n)
                r = self.records[n] = Rec(r.campaign, "FAILED_ASSIGNMENT", r.since + self.pending_for,
                                          "T-Mobile rejected the assignment")
            else:
                r = self.records[n] = Rec(r.campaign, "ASSIGNED", r.since + self.pending_for)
        elif r.status == "PENDING_UNASSIGNMENT" and self.now - r.since >= self.unassign_for:
            del self.records[n]
            return None
        return r

    def assignment(self, n: str) -> LiveAssignment | None:
        self._tick()
        r = self._status(n)
        if r is None:
            return None
        return LiveAssignment(n, r.campaign, r.status, r.reason, shared=KIND[r.campaign] is SHARED)

    def read(self, desired: DesiredState) -> LiveState:
        assert isinstance(desired, DesiredState), "live state is read for the files' numbers"
        self.calls.append(("read",))
        return self._live()

    def _live(self) -> LiveState:
        self._tick()
        live = LiveState()
        live.profiles = {P1: "alpha", P2: "beta"}
        live.campaigns = {c: LiveCampaign(c, k, "ACCEPTED" if k is SHARED else None, "MNO_PROVISIONED",
                                          telnyx_campaign_id=UUID.get(c)) for c, k in KIND.items()}
        for i, (n, p) in enumerate(sorted(self.profile_of.items())):
            live.numbers[n] = LiveNumber(n, f"id{i}", p, "longcode")
            a = self.assignment(n)
            if a is not None:
                live.assignments[n] = a
        return live

    def read_tracked(self, writes: list) -> LiveState:
        """What `apply.recovery` reads: the records of the open writes' numbers (here, everything)."""
        self.calls.append(("read_tracked", tuple(sorted({n for w in writes for n in w.numbers}))))
        return self._live()

    # -- the Writer protocol
    def bulk_assign(self, profile_id: str, campaign: LiveCampaign) -> str:
        self.calls.append(("bulk_assign", profile_id, campaign.tcr_campaign_id, campaign.telnyx_campaign_id))
        tid = f"task-{len(self.tasks)}"

        def effect():
            self.tasks[tid] = {"profile": profile_id, "campaign": campaign.tcr_campaign_id, "at": self.now,
                               "done": None, "numbers": [], "skipped": False}
        self._maybe_fail("bulk_assign", effect)
        effect()
        return tid

    def get_task(self, task_id: str) -> str:
        self.calls.append(("get_task", task_id))
        self._maybe_fail("get_task")
        self._tick()
        t = self.tasks[task_id]
        if t["done"] is None:
            return "pending"
        return "failed" if t["skipped"] and self.task_status_failed else "completed"

    def task_numbers(self, task_id: str) -> list[tuple[str, str]]:
        self.calls.append(("task_numbers", task_id))
        self._maybe_fail("task_numbers")
        return list(self.tasks[task_id]["numbers"])

    def bulk_move(self, profile_id: str, numbers: list[str]) -> str:
        self.calls.append(("bulk_move", profile_id, tuple(numbers)))
        self._maybe_fail("bulk_move")
        oid = f"order-{len(self.orders)}"
        self.orders[oid] = {"profile": profile_id, "numbers": list(numbers), "at": self.now, "done": False}
        return oid

    def get_bulk_order(self, order_id: str) -> dict[str, list[str]]:
        self.calls.append(("get_bulk_order", order_id))
        self._tick()
        o = self.orders[order_id]
        if not o["done"]:
            failed = [n for n in o["numbers"] if n in self.move_fails] if self.fail_early else []
            return {"pending": [n for n in o["numbers"] if n not in failed], "failed": failed}
        return {"success": [n for n in o["numbers"] if n not in self.move_fails],
                "failed": [n for n in o["numbers"] if n in self.move_fails]}

    def patch_profile(self, number_id: str, profile_id: str) -> None:
        self.calls.append(("patch_profile", number_id, profile_id))
        self._maybe_fail("patch_profile")
        n = sorted(self.profile_of)[int(number_id[2:])]
        self.profile_of[n] = profile_id

    def _holder(self, number: str) -> Rec | None:
        self._tick()
        return self._status(number)

    def assign(self, number: str, campaign: LiveCampaign) -> None:
        self.calls.append(("assign", number, campaign.tcr_campaign_id, campaign.telnyx_campaign_id))

        def effect():
            self.records[number] = Rec(campaign.tcr_campaign_id, "PENDING_ASSIGNMENT", self.now)
        self._maybe_fail("assign", effect)
        r = self._holder(number)
        if r is not None and r.campaign != campaign.tcr_campaign_id and not r.status.startswith("FAILED"):
            raise ApiError("assign", 422, "10015", "already assigned", f"{number} is already assigned")
        effect()

    def replace(self, number: str, campaign: LiveCampaign) -> None:
        self.calls.append(("replace", number, campaign.tcr_campaign_id, campaign.telnyx_campaign_id))
        self._maybe_fail("replace")
        r = self._holder(number)
        if self.put_refused and r is not None and r.campaign != campaign.tcr_campaign_id:
            raise ApiError("replace", 422, "10016", "cannot move", f"{number} is on another campaign")
        self.records[number] = Rec(campaign.tcr_campaign_id, "PENDING_ASSIGNMENT", self.now)

    def unassign(self, number: str) -> None:
        self.calls.append(("unassign", number))
        self._maybe_fail("unassign")
        r = self._holder(number)
        if r is not None:
            self.records[number] = Rec(r.campaign, "PENDING_UNASSIGNMENT", self.now)

    def get_assignment(self, number: str) -> LiveAssignment | None:
        self.calls.append(("get_assignment", number))
        self._maybe_fail("get_assignment")
        return self.assignment(number)

    def profiles_of(self, numbers: list[str]) -> dict[str, str | None]:
        self.calls.append(("profiles_of", tuple(numbers)))
        self._tick()
        return {n: self.profile_of.get(n) for n in numbers}

    def profile_read_cost(self, count: int) -> int:
        return self.read_cost if self.read_batch is None else -(-count // self.read_batch)


def desired(spec: dict[str, tuple[str, str]], prune: bool = False) -> DesiredState:
    """number -> (profile, campaign)."""
    campaigns: dict[str, list[str]] = {}
    for p, c in spec.values():
        if c not in campaigns.setdefault(p, []):
            campaigns[p].append(c)
    profiles = {p: DesiredProfile(p, {P1: "alpha", P2: "beta"}[p], tuple(cs)) for p, cs in campaigns.items()}
    return DesiredState(profiles, {n: DesiredNumber(n, p, c, "d.yaml", i + 1, 1)
                                   for i, (n, (p, c)) in enumerate(spec.items())}, Policy(prune=prune))


class RecordingJournal(Journal):
    """The real journal, also keeping every outcome line written in order (the file may be compacted).

    It holds apply to the journal's contract: every line is timed (Telnyx's clock, for ages), and an
    outcome names a write journalled before it (else the write stays open and is judged again)."""

    def __init__(self, *a, **kw) -> None:
        super().__init__(*a, **kw)
        self.updates: list[tuple[str, str, str | None]] = []  # (write id, state, detail)

    def intent(self, op, numbers, **kw) -> str:
        assert isinstance(kw.get("at"), (int, float)), f"an untimed intent: {op} {kw}"
        return super().intent(op, numbers, **kw)

    def defer(self, op, numbers, **kw) -> str:
        assert isinstance(kw.get("at"), (int, float)), f"an untimed next phase: {op} {kw}"
        return super().defer(op, numbers, **kw)

    def update(self, wid, state, **kw) -> None:
        assert wid in self.read().writes, f"an outcome for a write never journalled: {wid!r}"
        assert isinstance(kw.get("at"), (int, float)), f"an untimed outcome for {wid}: {state} {kw}"
        self.updates.append((wid, state.value, kw.get("detail")))
        super().update(wid, state, **kw)


@dataclass
class Run:
    report: object
    journal: RecordingJournal
    applier: Applier
    plan: object
    progress: list[str]
    ticks: list[tuple[str, int, int | None]]  # progress lines that count: (line, done, total)

    def by(self):
        return {o.number: o.result for o in self.report.outcomes}

    def writes(self):
        return list(self.journal.read().writes.values())

    def details(self) -> list[tuple[str, str | None]]:
        """(state, detail) of every outcome line journalled, in order."""
        return [(state, detail) for _, state, detail in self.journal.updates]


def apply(tmp_path: Path, telnyx: FakeTelnyx, want: DesiredState, *, until: Until = Until.ACCEPTED,
          timeout: float = 900.0, options: PlanOptions | None = None, saved: bool = False, plan=None,
          stuck_after: float | None = None, poll_max: float = 300.0, note: dict[str, str] | None = None) -> Run:
    live = telnyx.read(want)
    if plan is None:
        plan = make_plan(want, live, options)
    journal = RecordingJournal(tmp_path, note=note)
    said: list[str] = []
    ticks: list[tuple[str, int, int | None]] = []

    def progress(msg, done=None, total=None):
        said.append(msg)
        if done is not None:
            ticks.append((msg, done, total))
    applier = Applier(telnyx, telnyx.read, journal, progress=progress,
                      until=until, timeout=timeout, sleep=telnyx.sleep, clock=telnyx.clock,
                      server_now=telnyx.clock, stuck_after=stuck_after, poll_max=poll_max)
    with journal:
        report = applier.run(plan, saved=saved, live=None if saved else live)
    return Run(report, journal, applier, plan, said, ticks)
