"""`reconciler sandbox generate`: a realistic seed for an estate of any size (issue 24).

A new user trying the reconciler at 3,000 numbers needs an account that looks like theirs, not the
seven-number example: numbers spread unevenly over messaging profiles, some on none; Telnyx-
registered campaigns and partner campaigns shared with the account; most numbers ASSIGNED. The
shape follows 10dlc-domain.md: at most 49 numbers per campaign (T-Mobile's cap, §3.1) unless the
campaign has number pooling, and a profile on a partner campaign has all its numbers on that one
campaign (Telnyx documents bulk assignment only for shared campaigns, §3.4).

So that every command has something to show: one profile holds new numbers not yet on a
campaign, and a registered campaign with room for them waits (`import --unassigned-campaign`
declares them for it; `plan` and `apply` then assign them); a partner's share not yet accepted
sits beside the others. Everything else is ASSIGNED, so a `plan` right after `import` has no
changes. The same `random_seed` gives the same document, byte for byte.
"""

from __future__ import annotations

import json
import random
import uuid
from dataclasses import dataclass, field
from collections.abc import Iterator
from typing import Any

CAP = 49  # T-Mobile's numbers per campaign without number pooling (10dlc-domain.md §3.1)
MAX_NUMBERS = 1_000_000  # what the sandbox holds comfortably (README: "Speed and memory")
BRAND = "acme"
LINES = ("marketing", "alerts", "support", "billing", "appointments", "deliveries", "surveys",
         "verification", "reminders", "collections", "promotions", "dispatch", "feedback", "renewals",
         "store-pickup", "claims")
NEW_LINE = "new-numbers"
NEW_MAX = 36  # new numbers at most: the campaign waiting for them keeps room under the cap
# Area codes of US states only (no Canadian or Caribbean NANP codes, no toll-free or 5XX/900):
# every number built from them is a US 10DLC long code that `reconciler validate` accepts.
AREA_CODES = ("212", "213", "206", "214", "303", "305", "312", "404", "415", "503", "512", "602",
              "615", "617", "619", "646", "702", "713", "720", "773", "818", "919")
_TCR_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


@dataclass
class _Plan:
    """The estate being built, in seed order."""

    profiles: list[dict[str, Any]] = field(default_factory=list)
    numbers: list[dict[str, Any]] = field(default_factory=list)
    campaigns: list[dict[str, Any]] = field(default_factory=list)
    assignments: list[dict[str, Any]] = field(default_factory=list)
    ready_campaign: str = ""
    new_numbers: int = 0


def default_profiles(numbers: int) -> int:
    """About 250 numbers a profile, at least one: how accounts of this size tend to be cut."""
    return max(1, min(len(LINES) * 4, -(-numbers // 250)))


def generate(numbers: int, profiles: int | None = None, random_seed: int = 0) -> tuple[dict[str, Any], str]:
    """→ (the seed document, a one-paragraph summary of what it holds). Raises ValueError on sizes
    the estate cannot have."""
    if not 1 <= numbers <= MAX_NUMBERS:
        raise ValueError(f"--numbers must be from 1 to {MAX_NUMBERS:,}, not {numbers}")
    count = default_profiles(numbers) if profiles is None else profiles
    if not 1 <= count <= numbers:
        raise ValueError(f"--profiles must be from 1 to the number of numbers ({numbers}), not {count}")
    rng = random.Random(random_seed)
    plan = _Plan()
    e164 = iter(_numbers(rng, numbers))
    no_profile = min(numbers // 50, numbers - count)  # about 2 %: bought, never put on a profile
    on_profiles = numbers - no_profile
    # About 1 %, fitting the waiting campaign, and leaving every other profile a number.
    new = min(NEW_MAX, max(1, on_profiles // 100), on_profiles - count + 1) if count >= 2 else 0
    sizes = _split(rng, on_profiles - new, count - (1 if new else 0))
    tcr = _TcrIds(rng)
    for i, size in enumerate(sizes):
        pid = _uuid(rng)
        plan.profiles.append({"id": pid, "name": _name(i)})
        mine = sorted(next(e164) for _ in range(size))
        plan.numbers += [{"phone_number": n, "messaging_profile_id": pid} for n in mine]
        if i % 3 == 1:
            _shared_profile(plan, tcr, mine)
        else:
            _registered_profile(rng, plan, tcr, mine)
    if new:
        pid = _uuid(rng)
        plan.profiles.append({"id": pid, "name": f"{BRAND}-{NEW_LINE}"})
        plan.numbers += [{"phone_number": n, "messaging_profile_id": pid}
                         for n in sorted(next(e164) for _ in range(new))]
        plan.ready_campaign = tcr.next()
        plan.campaigns.append({"tcr_campaign_id": plan.ready_campaign, "kind": "telnyx"})
        plan.new_numbers = new
    plan.numbers += [{"phone_number": n, "messaging_profile_id": None}
                     for n in sorted(next(e164) for _ in range(no_profile))]
    # A partner shared a campaign the account has not accepted yet: listed by its sharing status only.
    plan.campaigns.append({"tcr_campaign_id": tcr.next(), "kind": "shared", "sharing_status": "PENDING"})
    doc = {"messaging_profiles": plan.profiles, "phone_numbers": plan.numbers,
           "campaigns": plan.campaigns, "assignments": plan.assignments}
    return doc, _summary(plan, no_profile)


def dump(doc: dict[str, Any], header: str) -> Iterator[str]:
    """The seed as YAML, in chunks (a million numbers is 170 MB of text: never held at once),
    `header` as comments. Written by hand: the document is lists of flat items, and PyYAML's
    emitter takes about 4 KB and 50 µs a number. Every string is double-quoted JSON, which YAML
    reads as written (a bare `+1...` would be an int)."""
    yield "".join(f"# {line}\n" if line else "#\n" for line in header.splitlines())
    for key, items in doc.items():
        yield f"{key}:\n" if items else f"{key}: []\n"
        for start in range(0, len(items), 10_000):
            yield "".join(f"- {_item(item)}" for item in items[start:start + 10_000])


def _item(item: dict[str, Any]) -> str:
    return "  ".join(f"{name}: {_scalar(value)}\n" for name, value in item.items())


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value) if isinstance(value, str) else str(value)


def _shared_profile(plan: _Plan, tcr: _TcrIds, numbers: list[str]) -> None:
    """A partner's campaign takes the whole profile (bulk assignment); over the cap it needs pooling."""
    campaign: dict[str, Any] = {"tcr_campaign_id": tcr.next(), "kind": "shared", "sharing_status": "ACCEPTED"}
    if len(numbers) > CAP:
        campaign["number_pooling"] = True
    plan.campaigns.append(campaign)
    _assign(plan, campaign["tcr_campaign_id"], numbers)


def _registered_profile(rng: random.Random, plan: _Plan, tcr: _TcrIds, numbers: list[str]) -> None:
    """The account's own campaigns: a large profile's bulk of traffic on one pooled campaign, the
    rest in campaigns of 20 to 49 numbers, as a team registers one per use case."""
    rest = numbers
    if len(numbers) > 4 * CAP:
        pooled = len(numbers) * 3 // 5
        campaign = tcr.next()
        plan.campaigns.append({"tcr_campaign_id": campaign, "kind": "telnyx", "number_pooling": True})
        _assign(plan, campaign, numbers[:pooled])
        rest = numbers[pooled:]
    while rest:
        size = min(len(rest), rng.randint(20, CAP))
        campaign = tcr.next()
        plan.campaigns.append({"tcr_campaign_id": campaign, "kind": "telnyx"})
        _assign(plan, campaign, rest[:size])
        rest = rest[size:]


def _assign(plan: _Plan, campaign: str, numbers: list[str]) -> None:
    plan.assignments += [{"phone_number": n, "tcr_campaign_id": campaign, "status": "ASSIGNED"} for n in numbers]


def _split(rng: random.Random, total: int, parts: int) -> list[int]:
    """`total` over `parts` profiles, unevenly (weights 0.3 to 1.7), each at least one."""
    if parts <= 0:
        return []
    weights = [rng.uniform(0.3, 1.7) for _ in range(parts)]
    spare = total - parts
    sizes = [1 + int(spare * w / sum(weights)) for w in weights]
    for i in range(total - sum(sizes)):  # what rounding down left over
        sizes[i % parts] += 1
    return sizes


def _numbers(rng: random.Random, count: int) -> list[str]:
    """`count` distinct US long codes: a real US area code, an exchange from 200 to 999 that is not
    N11 or 555 (service and fictional codes), any line."""
    seen: set[str] = set()
    out: list[str] = []
    while len(out) < count:
        exchange = rng.randint(200, 999)
        if exchange % 100 == 11 or exchange == 555:
            continue
        n = f"+1{rng.choice(AREA_CODES)}{exchange}{rng.randint(0, 9999):04d}"
        if n not in seen:
            seen.add(n)
            out.append(n)
    return out


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _name(i: int) -> str:
    line = LINES[i % len(LINES)]
    return f"{BRAND}-{line}" if i < len(LINES) else f"{BRAND}-{line}-{i // len(LINES) + 1}"


class _TcrIds:
    """Distinct TCR campaign ids shaped like TCR's (`C` and six letters or digits)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.seen: set[str] = set()

    def next(self) -> str:
        while True:
            tcr = "C" + "".join(self.rng.choice(_TCR_ALPHABET) for _ in range(6))
            if tcr not in self.seen:
                self.seen.add(tcr)
                return tcr


def _summary(plan: _Plan, no_profile: int) -> str:
    pooled = sum(1 for c in plan.campaigns if c.get("number_pooling"))
    shared = sum(1 for c in plan.campaigns if c["kind"] == "shared" and c.get("sharing_status") == "ACCEPTED")
    registered = sum(1 for c in plan.campaigns if c["kind"] == "telnyx")
    text = (f"{_n(len(plan.numbers), 'number')} on {_n(len(plan.profiles), 'messaging profile')} "
            f"({no_profile:,} on none); {len(plan.assignments):,} ASSIGNED to {registered:,} registered and "
            f"{shared:,} partner {'campaign' if shared == 1 else 'campaigns'} ({pooled:,} with number pooling, "
            f"the rest at most {CAP} numbers); 1 partner share PENDING.")
    if plan.ready_campaign:
        text += (f"\nProfile {BRAND}-{NEW_LINE} holds {_n(plan.new_numbers, 'number')} on no campaign; campaign "
                 f"{plan.ready_campaign} is registered for them (import --unassigned-campaign {plan.ready_campaign}).")
    return text


def _n(count: int, word: str) -> str:
    return f"{count:,} {word}" if count == 1 else f"{count:,} {word}s"
