"""Sandbox modes: one per API behaviour that Telnyx leaves unconfirmed.

Each mode's first value is the default: the reading that is hardest for a client, so that a
client that converges under the defaults is not relying on a lucky guess. The sources are
sections of `../shared/research/telnyx-api.md` (API) and `10dlc-domain.md` (domain).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ModeSpec:
    name: str
    values: tuple[str, ...]  # values[0] is the default
    source: str
    meaning: str


MODE_SPECS: dict[str, ModeSpec] = {
    spec.name: spec
    for spec in (
        # Bulk by profile over numbers already on another campaign: the spec does not say
        # whether they are moved, skipped or failed (telnyx-api.md §8.12; 10dlc-domain.md §3.4, §7 q4).
        ModeSpec(
            "bulk_existing",
            ("skip", "reassign"),
            "telnyx-api.md §8 item 12; 10dlc-domain.md §3.4 and §7 open question 4",
            "skip: such numbers keep their campaign and get per-number status `failed`; "
            "reassign: they are moved to the task's campaign",
        ),
        # Per-number POST/PUT for a shared campaign: the support article says bulk-by-profile is
        # the only way; the ISV guide shows per-number POST (10dlc-domain.md §3.4 [CONFLICT]).
        ModeSpec(
            "shared_per_number",
            ("reject", "allow"),
            "10dlc-domain.md §3.4 [CONFLICT]; telnyx-api.md §3.2 and §8 item 9",
            "reject: per-number POST/PUT naming a shared campaign gets a 4xx; allow: it works "
            "with the TCR id as campaignId",
        ),
        # PUT on a number that already has another campaign: "replaces" (SDK) versus
        # "remove first, then assign" (guides) (10dlc-domain.md §1.5 [CONFLICT]).
        ModeSpec(
            "put_existing",
            ("reject", "replace"),
            "10dlc-domain.md §1.5 [CONFLICT]; telnyx-api.md §3.2",
            "reject: 4xx, the client must DELETE then POST; replace: the record moves to the new "
            "campaign as PENDING_ASSIGNMENT",
        ),
        # What a number's assignment does when the number leaves its messaging profile or moves
        # to another one: no source says (10dlc-domain.md §1.6 [UNCONFIRMED]).
        ModeSpec(
            "profile_leave",
            ("unassign", "keep"),
            "10dlc-domain.md §1.6 [UNCONFIRMED]",
            "unassign: the assignment goes PENDING_UNASSIGNMENT and then disappears; keep: it stays",
        ),
        # recordsPerPage maximum of the 10DLC lists: siblings say 500, the assignment list says
        # nothing (telnyx-api.md §3.4, §6, §8 item 7).
        ModeSpec(
            "page_size_over_max",
            ("error", "clamp"),
            "telnyx-api.md §3.4, §6 and §8 item 7",
            "error: recordsPerPage > 500 is a 400; clamp: it silently returns 500 per page",
        ),
        # What totalRecords counts: the name says records, the official SDK treats it as pages
        # (telnyx-api.md §6; 10dlc-domain.md §6 item 3).
        ModeSpec(
            "total_records",
            ("pages", "records", "mixed"),
            "telnyx-api.md §6 and §8 item 7; 10dlc-domain.md §6 item 3",
            "pages: totalRecords is the number of pages; records: the number of records; mixed: the "
            "assignment list counts pages and every other 10DLC list records (nothing says all lists agree)",
        ),
        # PhoneNumberWithMessagingSettings has no required field: a record may omit what is null or
        # empty, and the number type enum carries two spellings (telnyx-api.md §5.1).
        ModeSpec(
            "sparse",
            ("sparse", "full"),
            "telnyx-api.md §5.1 (no required fields; type enum with both spellings)",
            "sparse: number records omit messaging_profile_id when null, tags when empty and mms when null, and "
            "spell the type long-code / toll-free / short-code; full: every field, spelled longcode / tollfree / "
            "shortcode",
        ),
        # How "absent" is said: the spec promises only "4XX" for one number's assignment, and
        # declares a FastAPI-style 422 for the sharing call (telnyx-api.md §3.3, §4.3).
        ModeSpec(
            "absent_status",
            ("422", "400", "404"),
            "telnyx-api.md §3.3 and §4.3 (the spec's 4XX and 422 responses)",
            "the status of GET /10dlc/phone_number_campaigns/{phoneNumber} for a number with no assignment, "
            "and of GET /10dlc/partnerCampaign/{id}/sharing for a campaign not shared with this account "
            "(422 there in the spec's FastAPI shape)",
        ),
        # The spec gives no recordsPerPage maximum for the assignment list or a task's number list
        # (telnyx-api.md §3.4, §8 item 7): its siblings say 500.
        ModeSpec(
            "list_page_max",
            ("250", "500"),
            "telnyx-api.md §3.4 and §8 item 7",
            "250: recordsPerPage over 250 on GET /10dlc/phone_number_campaigns and a task's phoneNumbers "
            "list is a 400; 500: like the sibling lists",
        ),
        # A bulk task over numbers already ASSIGNED to its campaign: nothing says whether Telnyx
        # leaves them alone or provisions them again (telnyx-api.md §3.1, §8 item 12).
        ModeSpec(
            "bulk_same",
            ("reprovision", "noop"),
            "telnyx-api.md §3.1 and §8 item 12 (a task assigns every number of the profile)",
            "reprovision: numbers already ASSIGNED to the task's campaign go PENDING_ASSIGNMENT again and "
            "resolve like new ones; noop: they are left as they are",
        ),
        # Per-number DELETE of a shared campaign's number: the support article names bulk by profile
        # as the only way to attach numbers to a shared campaign and says nothing of removal.
        ModeSpec(
            "shared_delete",
            ("reject", "allow"),
            "10dlc-domain.md §3.4 [CONFLICT]; telnyx-api.md §3.2",
            "reject: DELETE /10dlc/phone_number_campaigns/{n} of a number on a shared campaign is a 422; "
            "allow: it starts the unassignment like any other",
        ),
        # A write that took effect although its answer was lost: the spec cannot say, every real
        # network can (telnyx-api.md §7).
        ModeSpec(
            "write_fault",
            ("none", "after"),
            "telnyx-api.md §7 (retries); no source can rule it out",
            "none: every answer is delivered; after: the 1st, 3rd, 5th … 10DLC assignment write of each "
            "operation (POST/PUT/DELETE of one number's assignment, POST of a bulk task) takes effect and is "
            "then answered 500 (odd ones) or 504 (the others): the client cannot tell it happened. Its "
            "default is `none` because it is a fault, not a reading of the spec",
        ),
        # POST of a number whose record is FAILED_ASSIGNMENT (differential run).
        ModeSpec(
            "failed_retry",
            ("reject", "retry"),
            "telnyx-api.md §3.2 (POST creates; nothing says what a FAILED record counts as)",
            "reject: 422 \"already assigned\" (the FAILED record must be deleted, or PUT over); retry: the POST "
            "starts a new attempt",
        ),
        # A bulk task where some numbers fail: the status enum is given, its meaning is not.
        ModeSpec(
            "task_partial",
            ("completed", "failed"),
            "telnyx-api.md §2.2 (task status enum only)",
            "completed: the task says `completed` and only its per-number list shows the failures; failed: "
            "the task says `failed` when any number failed",
        ),
        # A bulk task naming a shared campaign whose share is PENDING or DECLINED.
        ModeSpec(
            "share_not_accepted_bulk",
            ("failed_records", "nothing"),
            "10dlc-domain.md §3.2 (a share must be ACCEPTED); the spec says nothing of the task",
            "failed_records: every unassigned number of the profile gets a FAILED_ASSIGNMENT record naming the "
            "share; nothing: the task fails and writes no record",
        ),
        # DELETE of a PENDING_ASSIGNMENT record.
        ModeSpec(
            "delete_pending",
            ("reject", "accept"),
            "telnyx-api.md §3.2 (DELETE; pending records unspecified)",
            "reject: 422 (wait until the record is final); accept: the record goes PENDING_UNASSIGNMENT",
        ),
        # DELETE of a FAILED_ASSIGNMENT record.
        ModeSpec(
            "delete_failed",
            ("pending", "gone"),
            "telnyx-api.md §3.2 (DELETE; failed records unspecified)",
            "pending: the record goes PENDING_UNASSIGNMENT first, like an ASSIGNED one; gone: it is removed at once",
        ),
        # How an unassignment ends: the enum has FAILED_UNASSIGNMENT (with failureReasons) beside a record
        # that goes (10dlc-domain.md §1.2: `PENDING_UNASSIGNMENT → (record removed) | FAILED_UNASSIGNMENT`), and
        # nothing says when or how often it fails. Default `gone`: a failure is a fault of Telnyx's, not a
        # reading of the spec (as with write_fault); the mode matrices and the fault suite run the other.
        ModeSpec(
            "unassign_end",
            ("gone", "failed_first"),
            "10dlc-domain.md §0 and §1.2 (assignmentStatus enum, failureReasons); telnyx-api.md §5",
            "gone: an unassignment ends with the record gone; failed_first: each number's first unassignment that a "
            "DELETE started ends FAILED_UNASSIGNMENT (the record stays on its campaign, with failureReasons) and a DELETE of that record "
            "starts another, which ends gone",
        ),
        # PUT naming the campaign the number is already ASSIGNED to.
        ModeSpec(
            "put_same",
            ("reprovision", "noop"),
            "telnyx-api.md §3.2 (PUT; same campaign unspecified)",
            "reprovision: the number goes PENDING_ASSIGNMENT again; noop: nothing changes",
        ),
        # page=0 on the 10DLC lists: the spec gives a default of 1 and no minimum.
        ModeSpec(
            "page_zero",
            ("error", "first"),
            "telnyx-api.md §6 (page has a default of 1 and no minimum)",
            "error: page=0 is a 400; first: it returns the first page",
        ),
        # The keys of GET /10dlc/partnerCampaign/{id}/sharing are undocumented (telnyx-api.md §4.4,
        # §8 item 6): an additionalProperties map of CampaignSharingStatus. Once Telnyx accepts a
        # share it shares the campaign on upstream, so the map may hold that leg too.
        ModeSpec(
            "sharing_map",
            ("by_partner", "chain", "with_me"),
            "telnyx-api.md §4.4 and §8 item 6; 10dlc-domain.md §2",
            "by_partner: keyed by CNP id, and an accepted share also lists Telnyx's own share upstream "
            "(another partner, PENDING) first; chain: {sharedByMe: the upstream leg, sharedWithMe: the "
            "share to Telnyx}; with_me: only {sharedWithMe}",
        ),
        # Whether /phone_numbers/{id}/messaging accepts +E.164 as {id} (telnyx-api.md §5.3, §8.10).
        ModeSpec(
            "phone_id",
            ("numeric", "numeric_or_e164"),
            "telnyx-api.md §5.3 and §8 item 10",
            "numeric: only the numeric id is found, +E.164 is a 404; numeric_or_e164: both work",
        ),
        # T-Mobile's 49 numbers per campaign without number pooling (10dlc-domain.md §3.1).
        ModeSpec(
            "campaign_cap",
            ("49", "off"),
            "10dlc-domain.md §3.1",
            "49: a campaign without number pooling takes at most 49 numbers (assigned or pending); "
            "off: no cap",
        ),
        # Telnyx's newest SDK (4.189.0) reads two fields its published spec lacks, each a free string
        # (10dlc-domain.md §0, §8; telnyx-api.md §2): a number ASSIGNED at Telnyx may not be mapped
        # at the carriers yet. Default `absent`: the spec file's record, and the reconciler's old world.
        ModeSpec(
            "carrier_mapping",
            ("absent", "present"),
            "10dlc-domain.md §0 and §8 (carrier readiness); official SDK 4.189.0 PhoneNumberCampaign",
            "absent: phone-number campaign records carry neither field; present: they carry "
            "tmobileNumberMappingStatus and nonTmobileNumberMappingStatus (PENDING while the record is "
            "PENDING_ASSIGNMENT; once ASSIGNED, PENDING for the timing's carrier_mapping_delay, then ADDED, or FAILED "
            "at one carrier for a carrier_failure_rate share; ADDED while it is unassigned)",
        ),
        # The per-number statuses of a bulk task's number list have no enum in the spec (telnyx-api.md
        # §2.3, §8 item 8); the official SDK's clients accept success/assigned/done/pending_assignment.
        ModeSpec(
            "task_number_status",
            ("plain", "variant"),
            "telnyx-api.md §2.3 and §8 item 8; official SDK 4.189.0 clients",
            "plain: pending / completed / failed (the spec's example spelling); variant: a number the task "
            "took is success, assigned or done by turns, a pending one pending_assignment, a failed one failed. "
            "Default plain: the spec's own example",
        ),
        # One error shape per operation, as the spec declares: FastAPI's 422 {"detail": [...]} on the
        # partner and campaign operations, a 422 errors[] on a task's number list, a 400 errors[] on
        # the rest (telnyx-api.md §7). A real service may answer in the other.
        ModeSpec(
            "error_shape",
            ("spec", "swapped"),
            "telnyx-api.md §2.3 and §7 (HTTPValidationError versus 10dlc_GenericErrorResponse)",
            "the shape of a bad request's answer on the 10DLC operations: spec: as each operation's spec declares; "
            "swapped: the other one (FastAPI's 422 {\"detail\": [...]} where the spec declares errors[], a 400 "
            "errors[] where it declares FastAPI's)",
        ),
    )
}


def default_modes() -> dict[str, str]:
    return {name: spec.values[0] for name, spec in MODE_SPECS.items()}


class ModeError(ValueError):
    pass


def check_modes(modes: dict[str, object]) -> dict[str, str]:
    """Validate {name: value}; returns the normalised dict or raises ModeError naming the problem."""
    out: dict[str, str] = {}
    for name, value in modes.items():
        spec = MODE_SPECS.get(name)
        if spec is None:
            raise ModeError(f"unknown mode {name!r}; known modes: {', '.join(sorted(MODE_SPECS))}")
        text = str(value)
        if text not in spec.values:
            raise ModeError(f"mode {name} must be one of {'|'.join(spec.values)}, not {text!r}")
        out[name] = text
    return out


def parse_mode_option(item: str) -> tuple[str, str]:
    """Parse one `--mode NAME=VALUE`."""
    name, sep, value = item.partition("=")
    if not sep:
        raise ModeError(f"--mode expects NAME=VALUE, got {item!r}")
    checked = check_modes({name.strip(): value.strip()})
    (pair,) = checked.items()
    return pair
