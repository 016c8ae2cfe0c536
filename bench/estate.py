"""Synthetic estates: the sandbox seed, the desired state and the lower bound of each case.

An estate of N numbers sits on P = ceil(N / 100) messaging profiles of 100 numbers. Campaigns
are shared (partner) campaigns, ACCEPTED, MNO_PROVISIONED, with number pooling on (100 > 49),
each declared under `PROFILES_PER_CAMPAIGN` profiles (fewer on tiny estates, so that there are
always at least two campaigns). Every number is a valid US long code (+1 312 NXX XXXX).

Cases (see bench/README.md):

- `adopt`:  the account owns the numbers, on no messaging profile, with no assignment; the
            files declare every number → one profile move and one assignment per number.
- `noop`:   the account already matches the files.
- `change`: the account matches the previous files; the new files redeclare 5 % of the numbers
            (every 20th) under the profile `PROFILES_PER_CAMPAIGN` further on, which holds
            another campaign → a profile move and a campaign change for each.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

PER_PROFILE = 100
PROFILES_PER_CAMPAIGN = 5
CHANGE_EVERY = 20  # 5 %
CLASSIC_PAGE = 250  # page[size] maximum of the classic (v2) lists
TENDLC_PAGE = 500  # recordsPerPage maximum of the 10DLC lists
CASES = ("adopt", "noop", "change")


def e164(i: int) -> str:
    """The i-th number: +1 312 NXX XXXX, valid for libphonenumber's US pattern (8M of them)."""
    return f"+1312{200 + i // 10000:03d}{i % 10000:04d}"


def profile_id(i: int) -> str:
    return f"00000000-0000-4000-8000-{i:012d}"


def campaign_id(i: int) -> str:
    digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    out = ""
    n = i
    while True:
        n, r = divmod(n, 36)
        out = digits[r] + out
        if n == 0:
            break
    return "C" + out.rjust(6, "0")


@dataclass(frozen=True)
class Estate:
    numbers: int

    @property
    def profiles(self) -> int:
        return max(1, math.ceil(self.numbers / PER_PROFILE))

    @property
    def profiles_per_campaign(self) -> int:
        return max(1, min(PROFILES_PER_CAMPAIGN, self.profiles // 2))

    @property
    def campaigns(self) -> int:
        return math.ceil(self.profiles / self.profiles_per_campaign)

    def home(self, i: int) -> int:
        """Profile index of number i before any change."""
        return i // PER_PROFILE

    def campaign_of_profile(self, p: int) -> int:
        return p // self.profiles_per_campaign

    def changed(self, i: int) -> bool:
        return i % CHANGE_EVERY == CHANGE_EVERY // 2

    def target(self, i: int, case: str) -> int:
        """Declared profile index of number i in this case's files."""
        p = self.home(i)
        if case == "change" and self.changed(i) and self.profiles > 1:
            return (p + self.profiles_per_campaign) % self.profiles
        return p

    def changed_count(self) -> int:
        return sum(1 for i in range(self.numbers) if self.changed(i)) if self.profiles > 1 else 0

    # ------------------------------------------------------------------ states

    def live_state(self, case: str) -> "State":
        """What the account holds before the case runs."""
        s = State(profiles={profile_id(p) for p in range(self.profiles)},
                  campaigns={campaign_id(c) for c in range(self.campaigns)})
        for i in range(self.numbers):
            n = e164(i)
            if case == "adopt":
                s.numbers[n] = None
            else:
                p = self.home(i)
                s.numbers[n] = profile_id(p)
                s.assignments[n] = campaign_id(self.campaign_of_profile(p))
        return s

    def desired_state(self, case: str) -> "State":
        """What the files declare (also the account after a converged apply)."""
        s = State(profiles={profile_id(p) for p in range(self.profiles)},
                  campaigns={campaign_id(c) for c in range(self.campaigns)})
        for i in range(self.numbers):
            p = self.target(i, case)
            s.numbers[e164(i)] = profile_id(p)
            s.assignments[e164(i)] = campaign_id(self.campaign_of_profile(p))
        return s

    # ------------------------------------------------------------------ files

    def write_seed(self, path: Path, case: str) -> None:
        """The sandbox seed (JSON, streamed)."""
        live = self.live_state(case)
        with path.open("w", encoding="utf-8") as out:
            out.write('{"messaging_profiles":[')
            out.write(",".join(json.dumps({"id": profile_id(p), "name": f"bench-{p:05d}"})
                               for p in range(self.profiles)))
            out.write('],"campaigns":[')
            out.write(",".join(json.dumps({"tcr_campaign_id": campaign_id(c), "kind": "shared",
                                           "sharing_status": "ACCEPTED", "campaign_status": "MNO_PROVISIONED",
                                           "number_pooling": True}) for c in range(self.campaigns)))
            out.write('],"phone_numbers":[')
            out.write(",".join(json.dumps({"phone_number": n, "messaging_profile_id": p})
                               for n, p in live.numbers.items()))
            out.write('],"assignments":[')
            out.write(",".join(json.dumps({"phone_number": n, "tcr_campaign_id": c, "status": "ASSIGNED"})
                               for n, c in live.assignments.items()))
            out.write("]}")

    def write_desired(self, path: Path, case: str) -> None:
        """One desired-state YAML file declaring every number (quoted, one per line)."""
        by_profile: dict[int, list[int]] = {p: [] for p in range(self.profiles)}
        for i in range(self.numbers):
            by_profile[self.target(i, case)].append(i)
        with path.open("w", encoding="utf-8") as out:
            out.write("version: 1\nprofiles:\n")
            for p, members in by_profile.items():
                out.write(f"  - id: {profile_id(p)}\n    name: bench-{p:05d}\n    campaigns:\n")
                out.write(f"      - tcr_campaign_id: {campaign_id(self.campaign_of_profile(p))}\n")
                if members:
                    out.write("        numbers:\n")
                    out.write("".join(f'          - "{e164(i)}"\n' for i in sorted(members)))
                else:
                    out.write("        numbers: []\n")


@dataclass
class State:
    """Just enough of an account to price reads and writes."""

    profiles: set[str]
    campaigns: set[str]  # shared, ACCEPTED campaigns (all visible in the partner list)
    numbers: dict[str, str | None] = field(default_factory=dict)  # number -> messaging profile
    assignments: dict[str, str] = field(default_factory=dict)  # number -> tcr campaign


# ---------------------------------------------------------------------- lower bounds


def pages(n: int, size: int) -> int:
    """Requests to read a list of n records at page size `size` (an empty list still costs one)."""
    return max(1, math.ceil(n / size))


def read_bound(live: State, desired: State) -> dict[str, int]:
    """Fewest requests that read everything a plan needs (bench/README.md, "Lower bound")."""
    decl_profiles = desired.profiles
    decl_campaigns = desired.campaigns
    declared = desired.numbers
    # 1. campaigns: the partner list (every declared campaign is an accepted share).
    campaigns = pages(len(live.campaigns), TENDLC_PAGE)
    # 2. profiles: existence and names; the list, or one GET per declared profile.
    profiles = min(len(decl_profiles), pages(len(live.profiles), CLASSIC_PAGE))
    # 3. numbers: account-wide, or per declared profile + declared numbers found elsewhere.
    on_profile: dict[str, int] = {p: 0 for p in decl_profiles}
    elsewhere = 0
    for n, p in live.numbers.items():
        if p in on_profile:
            on_profile[p] += 1
        elif n in declared:
            elsewhere += 1
    elsewhere += sum(1 for n in declared if n not in live.numbers)  # not owned: asked for too
    per_profile = sum(pages(k, CLASSIC_PAGE) for k in on_profile.values())
    per_profile += math.ceil(elsewhere / CLASSIC_PAGE)
    numbers = min(pages(len(live.numbers), CLASSIC_PAGE), per_profile)
    # 4. assignments: account-wide, or per declared campaign + one GET per owned declared
    #    number that no declared campaign holds (only a per-number read can say where it is).
    per_campaign: dict[str, int] = {c: 0 for c in decl_campaigns}
    for c in live.assignments.values():
        if c in per_campaign:
            per_campaign[c] += 1
    loose = sum(1 for n in declared if n in live.numbers and live.assignments.get(n) not in per_campaign)
    assignments = min(pages(len(live.assignments), TENDLC_PAGE),
                      sum(pages(k, TENDLC_PAGE) for k in per_campaign.values()) + loose)
    return {"campaigns": campaigns, "profiles": profiles, "numbers": numbers, "assignments": assignments,
            "total": campaigns + profiles + numbers + assignments}


def write_bound(live: State, desired: State) -> dict[str, int]:
    """Fewest writes and polls that take `live` to `desired` (shared campaigns, default modes).

    Per target profile: moving k numbers onto it costs one PATCH (k = 1) or one bulk
    messaging update (k > 1). Confirming the bulk updates costs the cheaper of one poll per
    order and one read of the moved numbers (`filter[phone_number]`, 250 a page). Assigning
    a profile's numbers to a shared campaign costs one bulk assignment by profile (the only
    documented route for shared campaigns); one poll of the last task, then the verifying
    read confirms them all. A number leaving its profile loses its old campaign with it
    (sandbox mode `profile_leave=unassign`), so a campaign change costs no DELETE.
    """
    moves: dict[str, int] = {}
    assigns: dict[str, int] = {}
    for n, p in desired.numbers.items():
        if live.numbers.get(n, "?") != p:
            moves[p or ""] = moves.get(p or "", 0) + 1
        if live.assignments.get(n) != desired.assignments.get(n):
            assigns[p or ""] = assigns.get(p or "", 0) + 1
    move_writes = sum(1 if k > 1 else k for k in moves.values())
    orders = sum(1 for k in moves.values() if k > 1)
    in_orders = sum(k for k in moves.values() if k > 1)
    move_polls = min(orders, math.ceil(in_orders / CLASSIC_PAGE))
    assign_writes = len(assigns)
    assign_polls = 1 if assigns else 0
    return {"move_writes": move_writes, "move_polls": move_polls, "assign_writes": assign_writes,
            "assign_polls": assign_polls, "total": move_writes + move_polls + assign_writes + assign_polls}


def lower_bound(estate: Estate, case: str, command: str) -> dict[str, object]:
    """The case's floor: `plan` = one read; `apply` = read + writes + polls + one verifying read."""
    live = estate.live_state(case)
    desired = estate.desired_state(case)
    read = read_bound(live, desired)
    out: dict[str, object] = {"read": read, "total": read["total"]}
    if command == "apply":
        writes = write_bound(live, desired)
        verify = read_bound(desired, desired)
        out.update(writes=writes, verify=verify, total=read["total"] + writes["total"] + verify["total"])
    return out


def iter_changes(estate: Estate, case: str) -> Iterator[tuple[str, str, str]]:
    """(number, declared profile, declared campaign) of every declared number."""
    for i in range(estate.numbers):
        p = estate.target(i, case)
        yield e164(i), profile_id(p), campaign_id(estate.campaign_of_profile(p))
