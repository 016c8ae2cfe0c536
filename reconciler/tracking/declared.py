"""Whether the files declare what a journalled write targets. The journal is a memory, not an
authority: a write it names for a campaign, profile or numbers the files do not declare that way is
never carried out, and (`InFlight.held_back`) its numbers are only held back, blocked with why.
Pure, no I/O."""

from __future__ import annotations

from reconciler.journal import Op, Write
from reconciler.model import DesiredState, plural


def undeclared(w: Write, desired: DesiredState) -> str | None:
    """`not_declared`, for a write whose numbers this run's scope (`--profile`/`--campaign`) covers;
    None for one naming a declared number outside it (another run's business)."""
    if any(n in desired.out_of_scope for n in w.numbers):
        return None
    return not_declared(w, desired)


def not_declared(w: Write, desired: DesiredState, *, numbers: bool = True) -> str | None:
    """Why the files do not declare what this journalled write targets, or None if they do.

    The journal is a memory, not an authority: a write (or next phase) it names for a campaign,
    profile or numbers the files do not declare that way is never carried out; its numbers are
    only held back while Telnyx may still be working on them. A removal's campaign is the one
    left (prune removes numbers declared nowhere from declared campaigns; a reassignment frees
    declared numbers from a campaign the files may no longer name). `numbers`: also check
    each number (else only the campaign and profile)."""
    campaigns = desired.campaigns()
    if w.op.moves_profile:
        if w.profile is None or w.profile not in desired.profiles:
            return f"profile {w.profile or '(none)'} is not declared in the files"
    elif not w.campaign:
        return "it names no campaign"
    elif w.campaign not in campaigns:
        if w.op is Op.UNASSIGN and w.numbers and all(n in desired.numbers for n in w.numbers):
            return None  # freed from a campaign the files dropped, for the one they declare it on now
        return f"campaign {w.campaign} is not declared in the files"
    elif w.profile is not None and w.op is not Op.UNASSIGN:
        p = desired.profiles.get(w.profile)
        if p is None:
            return f"profile {w.profile} is not declared in the files"
        if w.campaign not in p.campaigns:
            return f"campaign {w.campaign} is not declared under profile {w.profile}"
    if not numbers or w.op is Op.UNASSIGN:
        return None
    get = desired.numbers.get
    off = 0
    for n in w.numbers:
        d = get(n)
        if d is None or (w.profile is not None and d.profile_id != w.profile) or (
                not w.op.moves_profile and d.tcr_campaign_id != w.campaign):
            off += 1
    if off:
        where = f"campaign {w.campaign}" if not w.op.moves_profile else f"profile {w.profile}"
        return f"{plural(off, 'number', 'numbers')} of it the files do not declare for {where}"
    return None
