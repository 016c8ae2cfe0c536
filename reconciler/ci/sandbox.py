"""Start the local Telnyx simulator in the background for the rest of a CI job.

    reconciler ci start-sandbox SEED_FILE

Used by the reusable workflows when the `sandbox-seed` input is set, so that a new repository can
run the whole plan → merge → apply → drift loop before it has a Telnyx account. The sandbox's key
is the public `sandbox-key`: the real secret is never handed to it. Outputs base_url and api_key,
and warns at the top of the job summary, so a green run against the sandbox cannot pass for one
against Telnyx. Refuses (exit 1) when HAS_TELNYX_KEY=true: a job that can reach a real key is meant
for Telnyx, and one setting must not silently swap it out.

The simulator runs as its own process (`python -P -m reconciler sandbox`): this package never
imports it, and `-P` keeps the working directory (a checkout) off its import path.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from reconciler.ci.actions import annotate, fail, set_output, summary
from reconciler.wait import Waiter

KEY = "sandbox-key"
URL = re.compile(r"http://(127\.0\.0\.1|localhost):\d{1,5}/v2")


def start(seed: str, wait: float = 20.0) -> str:
    if os.environ.get("HAS_TELNYX_KEY", "false") == "true":
        fail("a sandbox seed is set, but this job can reach a Telnyx key (TELNYX_API_KEY): refusing to run "
             "against the sandbox where Telnyx is meant. Drop the seed to use Telnyx, or the key to stay on the sandbox.")
    if not Path(seed).is_file():
        fail(f"sandbox seed {seed} not found")
    folder = Path(os.environ.get("RUNNER_TEMP") or tempfile.mkdtemp())
    out, log = folder / "reconciler-sandbox.out", folder / "reconciler-sandbox.log"
    # Output to files, never to the step's own stdout: a background process holding it open hangs the step.
    with open(out, "wb") as fo, open(log, "wb") as fe:
        proc = subprocess.Popen([sys.executable, "-P", "-m", "reconciler", "sandbox", "--seed", seed, "--port", "0",
                                 "--api-key", KEY], stdin=subprocess.DEVNULL, stdout=fo, stderr=fe,
                                start_new_session=True)
    (folder / "reconciler-sandbox.pid").write_text(f"{proc.pid}\n", encoding="utf-8")
    waiter = Waiter(time.monotonic, time.sleep, time.monotonic() + wait, initial=0.05, maximum=0.5)
    url = ""
    while waiter.more():
        text = out.read_text(encoding="utf-8", errors="replace")
        if "\n" in text:
            url = text.split("\n", 1)[0].strip()
            break
        if proc.poll() is not None:
            fail("the sandbox exited:\n" + log.read_text(encoding="utf-8", errors="replace")[-2000:])
        waiter.nap()
    if not URL.fullmatch(url):
        proc.terminate()
        fail(f"the sandbox did not start (first line {url[:80]!r})")
    print(f"sandbox serving at {url} (stands in for Telnyx)", file=sys.stderr)
    name = re.sub(r"[^A-Za-z0-9._-]", "", Path(seed).name)
    summary(f"> [!WARNING]\n> **Sandbox, not Telnyx**: this job ran against the local simulator seeded from `{name}`"
            "\n> (the `sandbox-seed` input). Nothing here was read from or written to Telnyx.")
    set_output("base_url", url)
    set_output("api_key", KEY)
    return url


def ready(has_key: bool, seed: str) -> bool:
    """Whether the job can reach Telnyx (a key) or the sandbox (a seed). Neither: a notice, and the job's
    later steps skip, green: a repository (or a fork) without them is not broken, only not set up."""
    if has_key or seed:
        set_output("ready", "true")
        return True
    text = ("no TELNYX_API_KEY in this job's environment and no sandbox seed: nothing to plan, apply or check, "
            "so this job skips. Set the key as a secret of the environment (docs/ci.md), or the repository "
            "variable RECONCILER_SANDBOX_SEED to try the loop on the sandbox.")
    print(annotate("notice", text), file=sys.stderr)
    summary(f"> [!NOTE]\n> Skipped: {text}")
    set_output("ready", "false")
    return False
