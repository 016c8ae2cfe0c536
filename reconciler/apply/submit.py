"""Every write apply makes, journalled before it is sent and after its answer, and the tasks and
orders it started, followed until Telnyx has processed them.

A write is never repeated here: an ambiguous answer (5xx, a dropped connection) is journalled
UNKNOWN and judged against live state first (`tracking`); a bulk task whose answer was lost
holds its profile for the settle window."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Callable

from reconciler import durations
from reconciler.errors import ApiError, ApiUnavailable
from reconciler.journal import Journal, Op, State, Write
from reconciler.model import LiveCampaign, plural
from reconciler.tracking import may_be_unprocessed
from reconciler.wait import Waiter

from .ports import Progress, Writer, campaign_of

TASK_PROCESSED = frozenset({"completed", "failed"})
TASK_NUMBER_OK = frozenset({"success", "completed", "assigned", "done", "pending_assignment"})


class Answer(StrEnum):
    """What came back for one write."""

    SENT = "sent"  # 2xx: Telnyx took the request (a task or order id, if it gave one)
    REFUSED = "refused"  # 4xx: nothing happened
    LOST = "lost"  # no answer, or a 5xx: it may have happened; judged against live state, never re-sent blind


@dataclass(frozen=True)
class Sent:
    """One write as journalled and sent: its journal id, the answer, and Telnyx's id for a task or order."""

    wid: str
    answer: Answer
    ref: str | None = None

    @property
    def ok(self) -> bool:
        return self.answer is Answer.SENT


@dataclass
class Submitter:
    writer: Writer
    journal: Journal
    progress: Progress
    server_now: Callable[[], float]  # Telnyx's clock, for ages in the journal
    waiter: Callable[[], Waiter]  # a fresh wait, bounded by the run's deadline
    expired: Callable[[], bool]
    count: int = 0  # write requests sent
    refused: dict[str, str] = field(default_factory=dict)  # number -> Telnyx's last refusal, this run
    lost_bulks: set[tuple[str, str]] = field(default_factory=set)  # (profile, campaign): answer lost this run
    lost_answers: int = 0  # bulk answers lost this run
    tasks: dict[str, str] = field(default_factory=dict)  # write id -> task id, not yet seen processed

    def write(self, op: Op, numbers: list[str], call: Callable[[], Any], *, profile: str | None = None,
               campaign: LiveCampaign | str | None = None, accepted_on_success: bool = False,
               note: dict[str, str] | None = None, members: list[str] | tuple[str, ...] = (),
               expected_refusal: str | None = None, stopped_at: float | None = None) -> Sent:
        """Journal the intent, send, journal the outcome.

        `call` returns Telnyx's task or order id, or None. `campaign`: the target (a TCR id
        string for a removal: the campaign left). `expected_refusal`: what the caller does next
        when Telnyx refuses (a 4xx) as it may by design; the progress line says that, not "failed"."""
        if isinstance(campaign, str):
            campaign = campaign_of(campaign, None)
        wid = self.journal.intent(op, numbers, at=self.server_now(), profile=profile,
                                  campaign=campaign.tcr_campaign_id if campaign else None,
                                  campaign_uuid=campaign.telnyx_campaign_id if campaign else None, note=note,
                                  members=members, stopped_at=stopped_at)
        self.count += 1
        try:
            result = call()
        except ApiError as e:
            # Never repeated here: a lost answer is judged against live state first (a bulk
            # task's holds its profile for the settle window, tracking._lost).
            ambiguous = isinstance(e, ApiUnavailable) or e.status is None or e.status >= 500
            self.journal.update(wid, State.UNKNOWN if ambiguous else State.REFUSED, at=self.server_now(),
                                detail=str(e))
            if expected_refusal and not ambiguous:
                said = " ".join(x for x in (f"HTTP {e.status}", f"[{e.code}]" if e.code else "", e.title or "") if x)
                self.progress(f"{op.value} of {plural(len(numbers), 'number', 'numbers')} not taken by Telnyx ({said}): {expected_refusal}")
            else:
                self.progress(f"{op.value} failed for {plural(len(numbers), 'number', 'numbers')}: {e}")
            if not ambiguous:
                for n in numbers:  # Telnyx's own words, for the outcome if nothing else resolves it
                    self.refused[n] = f"Telnyx refused the {op.value}: {e}"
            elif op is Op.BULK_ASSIGN and profile and campaign:
                self.lost_bulks.add((profile, campaign.tcr_campaign_id))
                self.lost_answers += 1
            return Sent(wid, Answer.LOST if ambiguous else Answer.REFUSED)
        ref = result if isinstance(result, str) else None
        state = State.ACCEPTED if accepted_on_success else State.SUBMITTED
        self.journal.update(wid, state, at=self.server_now(), ref=ref)
        if op is Op.BULK_ASSIGN and ref:
            self.tasks[wid] = ref
            self.progress(f"bulk assignment: {plural(len(numbers), 'number', 'numbers')}, task {ref}")
        return Sent(wid, Answer.SENT, ref)

    def await_newest(self) -> None:
        """Wait until Telnyx has processed the newest task of this run. It was submitted last, so
        once it is processed the others most likely are: the verifying read then confirms them by
        their numbers (`confirm`), and only a task whose numbers do not all show it is asked about
        (`ask`). One request per task would be a thousand at 100,000 numbers."""
        self._await(list(self.tasks.items())[-1:])

    def await_acceptance(self) -> None:
        """Wait until Telnyx has processed every task of this run still not seen processed (not
        for the numbers to be final), newest first."""
        self._await(list(reversed(self.tasks.items())))

    def _await(self, tasks: list[tuple[str, str]]) -> None:
        if not tasks:
            return
        self.progress(f"waiting for Telnyx to process {plural(len(self.tasks), 'bulk assignment task', 'bulk assignment tasks')} (a task typically "
                      f"takes {durations.hours(durations.TASK)})")
        for wid, task in tasks:
            status = self.wait_task(task)
            if status in TASK_PROCESSED:
                self._processed(wid, task, status)
            if self.expired():
                break

    def _processed(self, wid: str, task: str, status: str) -> None:
        failed = self.task_failures(task) if status == "failed" else {}
        self.journal.update(wid, State.ACCEPTED, at=self.server_now(), detail=f"task {status}",
                            failed=failed, processed=True)
        self.tasks.pop(wid, None)

    def confirm(self, wid: str) -> None:
        """Live state shows every number of this task on its campaign (tracking.shows_taken): it is
        processed as far as its numbers go, and nothing is left for it to skip. Not asked about."""
        self.journal.update(wid, State.ACCEPTED, at=self.server_now(), processed=True,
                            detail="live state shows every number on its campaign")
        self.tasks.pop(wid, None)

    def ask(self, writes: list[Write]) -> bool:
        """Ask Telnyx once about each of these tasks. -> did any turn out processed? (Then the
        caller reads live state again: what it read before may predate the task's work.)"""
        changed = False
        for w in writes:
            try:
                status = self.writer.get_task(w.ref or "")
            except ApiError:
                continue  # the journal keeps it open; the settle window decides later
            if status in TASK_PROCESSED:
                self._processed(w.id, w.ref or "", status)
                changed = True
        return changed

    def unaccepted(self) -> bool:
        return bool(self.tasks)

    def task_failures(self, task: str) -> dict[str, str]:
        """The numbers a processed task says failed. Read only for the journal: a failed read
        must not abort an apply whose writes succeeded (live state shows the outcome anyway)."""
        try:
            per_number = self.writer.task_numbers(task)
        except ApiError as e:
            self.progress(f"could not read task {task}'s numbers ({e}); live state will show their outcome")
            return {}
        return {n: f"task {task} reports {s}" for n, s in per_number if s.lower() not in TASK_NUMBER_OK
                and s.lower() != "pending"}

    def wait_task(self, task_id: str) -> str:
        waiter = self.waiter()
        status = "pending"
        while waiter.more():
            try:
                status = self.writer.get_task(task_id)
            except ApiError as e:
                self.progress(f"could not read task {task_id} ({e}); the next run follows it from the journal")
                return "unknown"
            if status in TASK_PROCESSED:
                break
            waiter.nap()
        return status

    def wait_order(self, order_id: str, wid: str) -> dict[str, list[str]]:
        waiter = self.waiter()
        result: dict[str, list[str]] = {"pending": ["?"]}
        while waiter.more():
            result = self.writer.get_bulk_order(order_id)
            if not result.get("pending"):
                break
            waiter.nap()
        self._order_answer(wid, result)
        return result

    def _order_answer(self, wid: str, result: dict[str, list[str]]) -> None:
        """Journal what Telnyx says of an order: still processing (open: its numbers are in flight
        until it finishes), or finished, done or failed per number."""
        failed = {n: "Telnyx reported the profile move failed" for n in result.get("failed", [])}
        if result.get("pending"):
            self.journal.update(wid, State.ACCEPTED, at=self.server_now(), failed=failed,
                                detail="order still processing when apply stopped waiting")
        else:
            self.journal.update(wid, State.FAILED if failed else State.DONE, at=self.server_now(), failed=failed)

    def note_finished_orders(self) -> None:
        """Orders an earlier run (or this one) stopped waiting for: ask Telnyx once each; a finished
        one is journalled done or failed, so what it did not move is planned again. Never re-sent
        while Telnyx is still processing it (tracking holds its numbers in flight)."""
        for w in self.journal.read().open_writes():
            if w.op is Op.BULK_MOVE and w.ref and w.state is State.ACCEPTED:
                try:
                    result = self.writer.get_bulk_order(w.ref)
                except ApiError as e:
                    self.progress(f"could not read order {w.ref} ({e}); its numbers stay in flight")
                    continue
                if not result.get("pending"):
                    self._order_answer(w.id, result)

    def pending_bulks(self) -> set[tuple[str | None, str | None]]:
        """(profile, campaign) of every task possibly still unprocessed. The rule is tracking's (one
        with an id until it is seen processed, note_processed_tasks asks; one whose answer was lost
        for the settle window), the same one that holds its numbers in flight. One journal read for
        all of them: a round asks before each of its (maybe thousands of) bulk sends, and each send
        changes the journal, so asking per profile re-read it once per send."""
        now = self.server_now()
        return {(w.profile, w.campaign) for w in self.journal.read().open_writes()
                if w.op is Op.BULK_ASSIGN and w.state in (State.SUBMITTED, State.ACCEPTED, State.UNKNOWN)
                and may_be_unprocessed(w, now, exclusive=True)}

    def answer_lost(self, profile: str, campaign: LiveCampaign) -> bool:
        """Is the task holding this profile one whose answer was lost (no id to follow it by)?"""
        return any(w.op is Op.BULK_ASSIGN and w.profile == profile and w.campaign == campaign.tcr_campaign_id
                   and not w.ref and w.open for w in self.journal.read().open_writes())

    def note_processed_tasks(self) -> None:
        """Open bulk writes of any run whose task was not yet seen processed: ask Telnyx once (a
        number the task skipped is known skipped only when the task is done with the profile)."""
        for w in self.journal.read().open_writes():
            if w.op is Op.BULK_ASSIGN and w.ref and not w.processed and w.id not in self.tasks:
                try:
                    status = self.writer.get_task(w.ref)
                except ApiError:
                    continue  # the journal keeps it open; the settle window decides later
                if status in TASK_PROCESSED:
                    self.journal.update(w.id, State.ACCEPTED, at=self.server_now(), detail=f"task {status}",
                                        processed=True)
