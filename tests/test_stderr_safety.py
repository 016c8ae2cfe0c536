"""What reaches stderr, a terminal or a CI log from data, and what the API key can reach (issue 24).

Each case runs the real CLI as a subprocess (stderr a pipe, as in CI: click strips only CSI
sequences there, so the OSC ones below would pass if nothing else stopped them), against the
sandbox on loopback where the data comes from Telnyx:

- a desired-state file whose *name* holds a line break, a workflow command and an OSC sequence,
  and whose values and keys hold bidi overrides: `validate`'s `error:` lines keep one problem a
  line, show the hidden characters as escapes, and carry no escape, BEL or bidi, and no line a
  workflow command;
- a profile name from the API holding an OSC 8 link, line breaks and workflow commands: `import`'s
  note about it is one plain line;
- a server that echoes the API key (whole, its secret half, another case, base64) in profile names
  and failure reasons: no form of the key reaches any file `import` writes (names and contents),
  nor the output of import, plan or drift in any format;
- the CI helpers' `::error::` annotations and notes: data cannot end the command and start another.
"""

from __future__ import annotations

import base64
import json
import secrets
import subprocess
from pathlib import Path

import yaml

from reconciler.sandbox import start_sandbox
from tests.faults.harness import cli_env, reconciler
from tests.faults.hostile_cases import key_forms, text_problems

P1, P2, P3 = ("4001767e-ce0f-4cae-9d5f-0d5e636e7809", "7b1e3c52-9a4f-4d8e-b6a2-1f0c9d8e7a65",
              "5e8f2a1c-3b4d-4c6e-9f0a-1b2c3d4e5f60")
NUMS = [f"+1312555010{i}" for i in range(4)]
CAMPAIGN = "CWZTFH1"
# The review's reproductions: an OSC 8 link (a terminal shows CLICK, linked), a line that is a
# workflow command, one that masks a word of our own output (add-mask), the window title (OSC 0).
OSC8_NAME = ("\u001b]8;;https://evil.example/\u0007CLICK\u001b]8;;\u0007\n::error file=x::pwned from API\n"
             "::add-mask::sandbox")
HOSTILE_FILE = "a\n::error file=pwn::injected\x1b]0;T\x07.yaml"


def stderr_problems(text: str) -> list[str]:
    """`text_problems` (escapes, bidi, a line starting a workflow command), and BEL, which ends an
    OSC sequence, and the runner's older `##[command]` syntax, which it reads anywhere in a line."""
    out = text_problems(text)
    if "\x07" in text:
        out.append("a BEL in text output")
    if "##[" in text:
        out.append("a ##[ workflow command in text output")
    return out


def _run(work: Path, *args: str, base_url: str = "http://127.0.0.1:9/v2", key: str = "sandbox-key"
         ) -> subprocess.CompletedProcess[str]:
    return reconciler(*args, env=cli_env(base_url, api_key=key), cwd=work)


def test_validate_error_lines_keep_their_lines_and_no_data_escapes(tmp_path):
    folder = tmp_path / "ds3"
    folder.mkdir()
    (folder / HOSTILE_FILE).write_text(
        f'version: 1\nprofiles:\n  - id: {P1}\n    campaigns:\n      - tcr_campaign_id: {CAMPAIGN}\n'
        '        numbers: ["+1312\u202e5550100"]\n        "\u202ebad\u2066key": 1\n', encoding="utf-8")
    (folder / "b.yaml").write_text(f"version: 1\nprofiles:\n  - id: {P2}\n    '::warning::x ##[add-mask]y': 1\n"
                                   f"    campaigns:\n      - tcr_campaign_id: {CAMPAIGN}\n"
                                   "        numbers: ['+13125550101']\n", encoding="utf-8")
    p = _run(tmp_path, "validate", "--desired", "ds3")
    assert p.returncode == 1, p.stdout + p.stderr
    assert not stderr_problems(p.stderr), (stderr_problems(p.stderr), p.stderr)
    lines = p.stderr.splitlines()
    # One problem a line, each starting with its file (the name's line break is a space now), in order.
    assert len(lines) == 3, lines
    assert lines[0].startswith("error: ds3/a ::error file=pwn::injected]0;T.yaml:6:")
    assert lines[1].startswith("ds3/a ::error file=pwn::injected]0;T.yaml:7:") and lines[2].startswith("ds3/b.yaml:")
    # What does not show is named: the value and the key with their overrides written as escapes.
    assert '"+1312\\u202e5550100" is not a phone number' in lines[0]
    assert 'unknown key "\\u202ebad\\u2066key"' in lines[1]
    assert "unknown key '::warning::x #\\#[add-mask]y'" in lines[2]
    q = _run(tmp_path, "validate", "--desired", "ds3", "--format", "json")  # the same, and on stdout as JSON
    assert q.returncode == 1 and q.stderr == p.stderr
    assert len(json.loads(q.stdout)["error"]["problems"]) == 3 and not stderr_problems(q.stdout)


def test_import_notes_a_hostile_profile_name_from_the_api_as_one_plain_line(tmp_path):
    # P1's name hides characters that do not show (zero-width, a bidi mark, a BOM, a tag): a file's YAML keeps none.
    seed = {"messaging_profiles": [{"id": P1, "name": "al\u200bpha\u061c\ufeff\U000e0041"}, {"id": P2, "name": OSC8_NAME}],
            "phone_numbers": [{"phone_number": NUMS[0], "messaging_profile_id": P1},
                              {"phone_number": NUMS[1], "messaging_profile_id": P2}],
            "campaigns": [{"tcr_campaign_id": CAMPAIGN, "kind": "shared", "sharing_status": "ACCEPTED"}],
            "assignments": [{"phone_number": NUMS[0], "tcr_campaign_id": CAMPAIGN, "status": "ASSIGNED"}]}
    with start_sandbox(seed=seed) as sb:
        for args in (("--out", "out"), ()):
            p = _run(tmp_path, "import", "--all-profiles", *args, base_url=sb.base_url)
            assert p.returncode == 0, p.stderr
            assert not stderr_problems(p.stderr), (stderr_problems(p.stderr), p.stderr)
            (note,) = [line for line in p.stderr.splitlines() if line.startswith("note: profile")]
            assert note.startswith("note: profile ]8;;https://evil.example/CLICK]8;; ::error file=x::pwned from API "
                                   "::add-mask::sandbox has no number on a campaign; not written"), note
            assert "add-mask" not in p.stdout and not stderr_problems(p.stdout)
        assert [f.name for f in (tmp_path / "out").iterdir()] == ["al-pha.yaml"]  # portable: not a letter, a dash
        written = (tmp_path / "out" / "al-pha.yaml").read_text(encoding="utf-8")
        assert '    name: "alpha"\n' in written and all(ch.isprintable() or ch == "\n" for ch in written)


def _key() -> str:
    """Shaped like a Telnyx v2 key: KEY + 32 hex + _ + a secret half."""
    return f"KEY{secrets.token_hex(16).upper()}_{secrets.token_urlsafe(16).replace('-', 'a').replace('_', 'b')}"


def test_a_key_the_api_echoes_reaches_no_file_import_writes_nor_any_output(tmp_path):
    key = _key()
    tail = key.split("_", 1)[1]
    echoed = [f"name-{key}", f"secret {tail} half", f"lower {key.lower()}",
              f"b64 {base64.b64encode(key.encode()).decode()}"]
    seed = {"messaging_profiles": [{"id": P1, "name": echoed[0]}, {"id": P2, "name": echoed[1]},
                                   {"id": P3, "name": echoed[2] + " " + echoed[3]}],
            "phone_numbers": [{"phone_number": NUMS[0], "messaging_profile_id": P1},
                              {"phone_number": NUMS[1], "messaging_profile_id": P2},
                              {"phone_number": NUMS[2], "messaging_profile_id": P3},
                              {"phone_number": NUMS[3], "messaging_profile_id": P1}],
            "campaigns": [{"tcr_campaign_id": CAMPAIGN, "kind": "shared", "sharing_status": "ACCEPTED"}],
            "assignments": [{"phone_number": NUMS[0], "tcr_campaign_id": CAMPAIGN, "status": "ASSIGNED"},
                            {"phone_number": NUMS[1], "tcr_campaign_id": CAMPAIGN, "status": "ASSIGNED"},
                            {"phone_number": NUMS[3], "tcr_campaign_id": CAMPAIGN, "status": "FAILED_ASSIGNMENT",
                             "failure_reasons": f"rejected for {key}"}]}
    work = tmp_path / "work"
    (work / "desired-state").mkdir(parents=True)
    (work / "desired-state" / "main.yaml").write_text(yaml.safe_dump({"version": 1, "profiles": [
        {"id": P1, "name": "alpha", "campaigns": [{"tcr_campaign_id": CAMPAIGN, "numbers": [NUMS[0], NUMS[3]]}]},
        {"id": P2, "name": "bravo", "campaigns": [{"tcr_campaign_id": CAMPAIGN, "numbers": [NUMS[1], NUMS[2]]}]}]}),
        encoding="utf-8")
    said: list[tuple[str, str]] = []
    with start_sandbox(seed=seed, api_key=key) as sb:
        for args, codes in ((("import", "--all-profiles", "--out", "imported"), (0,)),
                            (("import", "--profile", P1, "--out", "one.yaml"), (0,)),
                            (("import", "--profile", P3), (0,)),
                            (("plan", "--format", "json"), (0,)), (("plan", "--format", "markdown"), (0,)),
                            (("plan",), (0,)), (("drift", "--format", "json"), (2,)),
                            (("drift", "--format", "markdown"), (2,)), (("drift",), (2,))):
            p = _run(work, *args, base_url=sb.base_url, key=key)
            assert p.returncode in codes, (args, p.stdout, p.stderr)
            said.append((" ".join(args), p.stdout + p.stderr))
    for what, text in said:
        assert not [f for f in key_forms(key) + [key.lower()] if f.casefold() in text.casefold()], what
    files = sorted(f for f in work.rglob("*") if f.is_file())
    imported = sorted(f.name for f in (work / "imported").iterdir())
    assert imported == ["name--REDACTED.yaml", "secret-REDACTED-half.yaml"], imported  # P3: no campaign, a note
    for f in files:
        written = f"{f.relative_to(work)}\n{f.read_text(encoding='utf-8')}".casefold()
        assert not [form for form in key_forms(key) if form.casefold() in written], f
    # The names were written, the key in them redacted (so the check above looked at real names).
    doc = yaml.safe_load((work / "one.yaml").read_text(encoding="utf-8"))
    assert doc["profiles"][0]["name"] == "name-[REDACTED]"
    assert "note: profile lower [REDACTED] b64 [REDACTED]== has no number" in dict(said)["import --profile " + P3]
    assert "rejected for [REDACTED]" in dict(said)["drift --format json"]  # Telnyx's reason, the key redacted


def test_ci_annotations_and_notes_keep_data_inside_one_command(monkeypatch, capsys):
    from reconciler.ci.actions import annotate, say

    data = "bad\n::add-mask::sandbox\r\n::error file=x::pwned \x1b]8;;https://evil.example/\x07x 100% ##[set-output name=a;]b"
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    line = annotate("error", f"the plan failed:\n{data}")
    assert "\n" not in line and "\r" not in line and line.startswith("::error::the plan failed:%0Abad%0A")
    assert "%0A\\::add-mask::sandbox" in line and "100%25" in line and not stderr_problems(line.split("::", 2)[2])
    monkeypatch.delenv("GITHUB_ACTIONS")
    by_hand = annotate("warning", data)
    assert by_hand.startswith("warning: bad\n\\::add-mask::sandbox") and not stderr_problems(by_hand)
    say(f"notice: {data}")
    err = capsys.readouterr().err
    assert err.startswith("notice: bad\n") and not stderr_problems(err)


def test_log_lines_at_debug_carry_no_escape_nor_workflow_command(monkeypatch):
    """`-vv`/`--debug` log what libraries say of an answer (a reason phrase, a header): the filter
    on the handler (cli/logs.py) makes each line plain, a traceback's too, its indent kept."""
    import logging
    import sys

    from reconciler.cli.logs import RedactSecrets

    monkeypatch.setenv("TELNYX_API_KEY", _key())
    said = logging.LogRecord("httpx", logging.INFO, __file__, 1, 'HTTP Request: GET x "HTTP/1.1 200 %s"',
                             ("OK\x1b]0;T\x07\n::error::pwned\x9b2J",), None)
    try:
        raise RuntimeError("bad\n::add-mask::sandbox")
    except RuntimeError:
        failed = logging.LogRecord("httpx", logging.ERROR, __file__, 2, "failed", (), sys.exc_info())
    written = ""
    for record in (said, failed):
        assert RedactSecrets().filter(record)
        written += logging.Formatter("%(levelname)s %(name)s: %(message)s").format(record) + "\n"
    assert "\\::error::pwned" in written and "\\::add-mask::sandbox" in written and "  File " in written
    assert not stderr_problems(written) and "\x9b" not in written, written
