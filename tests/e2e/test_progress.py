"""apply's progress lines on stderr (what a CI log shows while it runs): profiles by name, and
nothing from outside (a name served by Telnyx, an error's words) can carry escape sequences."""

from __future__ import annotations

PROFILE = "6a1e8400-e29b-41d4-a716-446655440abc"
NUMBERS = ["+13125557001", "+13125557002"]


def test_progress_names_the_profile_and_carries_no_escape_sequences(make_env):
    seed = {
        "messaging_profiles": [{"id": PROFILE, "name": "ops\x1b]0;pwned\x07\x1b[31mred\u202e"}],
        "phone_numbers": [{"phone_number": n, "messaging_profile_id": PROFILE} for n in NUMBERS],
        "campaigns": [{"tcr_campaign_id": "CTLX001", "kind": "telnyx", "campaign_status": "MNO_PROVISIONED"}],
        "assignments": [],
    }
    env = make_env(seed=seed, desired=None)
    env.write_desired({"version": 1, "profiles": [
        {"id": PROFILE, "campaigns": [{"tcr_campaign_id": "CTLX001", "numbers": NUMBERS}]}]})
    r = env.run("apply", "--auto-approve")
    assert r.code == 0, r.out + r.err
    line = next(ln for ln in r.err.splitlines() if ln.startswith("per-number assignment on profile"))
    assert "ops" in line and f"({PROFILE[:8]}…)" in line, line  # the name Telnyx gives, with the id's start
    assert not any(ch in r.err for ch in ("\x1b", "\x07", "\u202e")), repr(r.err)
