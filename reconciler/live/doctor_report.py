"""What `reconciler doctor` reports, and what `doctor --save` keeps: one `Answer` per question, the
key's `Access` per operation, and the questions only a write could settle.

Plain data: `doctor.diagnose` fills it, `render/doctor.py` draws it, and the mode names in
`READABLE_MODES` and `WRITE_ONLY` are held to the sandbox's `MODE_SPECS` by `tests/live/test_doctor.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class Answer:
    """One question: this account's answer, the sandbox mode that matches, what the reconciler does."""

    key: str
    question: str
    answer: str
    action: str
    mode: str | None = None  # the sandbox mode's name, if a mode stands for this question
    values: tuple[str, ...] = ()  # the values reading leaves possible (one: settled; none: no mode matches)
    settled: bool = True  # False: reading could not tell (the answer says why)

    @property
    def matches(self) -> str:
        if self.mode is None:
            return "—"
        if not self.values:
            return f"{self.mode}: none" if self.settled else f"{self.mode}=?"
        return f"{self.mode}={'|'.join(self.values)}"


@dataclass(frozen=True)
class Access:
    operation: str  # "GET /path/template"
    status: int | None  # the first answer's status; None: not asked (a write, or nothing to ask about)

    @property
    def verdict(self) -> str:
        if self.status is None:
            return "not asked (only a write could show)" if not self.operation.startswith("GET") else "not asked"
        if self.status in (401, 403):
            return f"denied (HTTP {self.status})"
        if 200 <= self.status < 300:
            return "allowed"
        return f"allowed (answered HTTP {self.status} to the probe)"


@dataclass
class DoctorReport:
    base_url: str
    answers: list[Answer]
    write_only: list[Answer]
    access: list[Access]
    requests: int
    checked_at: float  # Telnyx's clock

    def learned(self) -> dict[str, str]:
        """{mode: value} for every mode reading settled to one value."""
        return {a.mode: a.values[0] for a in self.answers if a.mode and len(a.values) == 1}


# The sandbox modes reading settles (each an `Answer.mode` of `diagnose`).
READABLE_MODES = ("list_page_max", "page_size_over_max", "page_zero", "total_records", "sparse", "carrier_mapping",
                  "absent_status", "sharing_map", "phone_id", "error_shape")

# What only a write could show: (mode, question, what the reconciler does under every reading).
WRITE_ONLY: tuple[tuple[str, str, str], ...] = (
    ("bulk_existing", "a bulk task over numbers on another campaign: skipped or moved",
     "bulk first; numbers left behind are freed and assigned by the next phase"),
    ("shared_per_number", "per-number POST/PUT naming a shared campaign",
     "never relied on: such changes are blocked unless --shared-per-number"),
    ("put_existing", "PUT over another campaign: a move, or refused",
     "PUT first; if refused, DELETE and POST in the next phase"),
    ("profile_leave", "a number leaving its profile: keeps its campaign or loses it",
     "the read after moves shows who lost one; the next round assigns it again"),
    ("bulk_same", "a bulk task over numbers already on its campaign",
     "counts the re-sends in the plan; policy.max_reprovision caps them"),
    ("shared_delete", "per-number DELETE on a shared campaign",
     "never sent without --shared-per-number: the prune is blocked with the reason"),
    ("failed_retry", "POST over a FAILED_ASSIGNMENT", "a FAILED record is replaced with PUT"),
    ("task_partial", "a bulk task where some numbers fail: its own status",
     "live records decide, never the task's status"),
    ("share_not_accepted_bulk", "a bulk task for a share not ACCEPTED",
     "never sent: the plan blocks its numbers"),
    ("delete_pending", "DELETE of a PENDING_ASSIGNMENT", "never sent: pending numbers are waited for"),
    ("delete_failed", "DELETE of a FAILED_ASSIGNMENT: pending or gone",
     "a FAILED record is replaced; a freed one is waited for either way"),
    ("unassign_end", "an unassignment that ends FAILED_UNASSIGNMENT instead of gone",
     "never assigned over it: its next phase waits, `resume` sends the removal again (until stuck), then assigns"),
    ("task_number_status", "the per-number statuses of a bulk task's number list",
     "live records decide; success, assigned, done, pending_assignment are read as taken, others shown"),
    ("put_same", "PUT naming the campaign a number is ASSIGNED to",
     "never sent: a number already right is never written"),
    ("campaign_cap", "49 numbers per campaign without number pooling",
     "plans never take a campaign over 49 without pooling"),
    ("write_fault", "a write that took effect although its answer was lost",
     "nothing repeated blind: re-read first, a bulk's profile held for the settle window"),
)


def learned_dict(report: DoctorReport) -> dict[str, Any]:
    """What `doctor --save` keeps in the state folder (doctor.json)."""
    return {"schema_version": SCHEMA_VERSION, "kind": "doctor", "base_url": report.base_url,
            "checked_at": report.checked_at, "modes": report.learned()}


__all__ = ["READABLE_MODES", "SCHEMA_VERSION", "WRITE_ONLY", "Access", "Answer", "DoctorReport", "learned_dict"]
