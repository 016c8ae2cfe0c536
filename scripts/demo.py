"""`make demo`: the whole loop against a local sandbox, no Telnyx account needed.

Starts `reconciler sandbox` seeded like desired-state/, on Telnyx's real timeline (the
`realistic` preset: a bulk task takes about a minute, a number stays PENDING_ASSIGNMENT for
about two hours) with a virtual clock running 120x. Runs validate, plan, apply --auto-approve
(green once Telnyx has accepted the work), status; moves the virtual clock three hours on; then
resume (what the hourly CI job runs), status and drift. Then makes an out-of-band change through
the sandbox's admin surface and shows drift catching it and apply healing it. Stops the sandbox.
"""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SEED = os.path.join(ROOT, "examples", "sandbox-seed.yaml")


def run(env: dict[str, str], *args: str, ok: tuple[int, ...] = (0,)) -> int:
    print(f"\n$ reconciler {' '.join(args)}", flush=True)
    # -P: the reconciler that is installed (an editable checkout under `make demo`, the built wheel in
    # the release workflow), never a `reconciler/` folder that happens to be in the working directory.
    code = subprocess.call([sys.executable, "-P", "-m", "reconciler", *args], env=env, cwd=ROOT)
    print(f"(exit {code})", flush=True)
    if code not in ok:
        raise SystemExit(f"demo: `reconciler {' '.join(args)}` exited {code}, expected {ok}")
    return code


def capture(env: dict[str, str], *args: str) -> str:
    """A command's stdout, for the summary (its exit code is the same as shown when run above)."""
    return subprocess.run([sys.executable, "-P", "-m", "reconciler", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True).stdout


def _follow_up(status_json: str) -> str:
    """What `reconciler ci follow-up` would write into the apply comment, from the same report (the
    scheduled job passes `resume --format json`, which has status's shape)."""
    import json

    from reconciler.ci.follow_up import section

    report = json.loads(status_json)
    return section(report.get("writes") or [], report)


def admin(base_url: str, method: str, path: str, body: bytes | None = None) -> None:
    req = urllib.request.Request(base_url.rsplit("/v2", 1)[0] + "/_admin" + path, data=body, method=method,
                                 headers={"Content-Type": "application/json"})
    urllib.request.urlopen(req).close()


def main() -> None:
    state = os.path.join(ROOT, ".demo", "state")
    journal = os.path.join(state, "journal.jsonl")
    if os.path.exists(journal):
        os.remove(journal)  # a previous demo's sandbox is gone; start a fresh journal
    sandbox = subprocess.Popen(
        [sys.executable, "-P", "-m", "reconciler", "sandbox", "--port", "0", "--seed", SEED,
         "--timing", "realistic", "--time-scale", "120", "--late-failure-rate", "0"],
        stdout=subprocess.PIPE, text=True, cwd=ROOT,
    )
    try:
        assert sandbox.stdout is not None
        base_url = sandbox.stdout.readline().strip()
        if not base_url.startswith("http"):
            raise SystemExit(f"demo: the sandbox did not start (printed {base_url!r})")
        print(f"sandbox running at {base_url} (realistic timing, virtual clock at 120x)")
        env = dict(os.environ, TELNYX_API_BASE_URL=base_url, TELNYX_API_KEY="sandbox-key",
                   RECONCILER_STATE_DIR=state)
        run(env, "--version")
        run(env, "validate")
        run(env, "plan", "--detailed-exitcode", ok=(2,))
        plan_md = capture(env, "plan", "--format", "markdown")
        run(env, "apply", "--auto-approve")
        run(env, "status")
        status_md = capture(env, "status", "--format", "markdown")
        follow_up = _follow_up(capture(env, "status", "--format", "json"))
        run(env, "drift")
        print("\n# three hours later (the sandbox's virtual clock moves on)")
        admin(base_url, "POST", "/advance", b'{"seconds": 10800}')
        run(env, "resume")
        run(env, "status")
        run(env, "drift")
        admin(base_url, "DELETE", "/assignments/%2B13125550100")
        print("\n# out of band: someone removes +13125550100 from its campaign")
        run(env, "drift", ok=(2,))
        run(env, "apply", "--auto-approve")
        admin(base_url, "POST", "/advance", b'{"seconds": 10800}')
        run(env, "drift")
        summary = os.path.join(ROOT, ".demo", "summary.md")
        with open(summary, "w", encoding="utf-8") as f:
            f.write("# make demo: what the pull request and the CI follow-up would show\n\n"
                    "The plan comment (before apply):\n\n" + plan_md + "\n\nThe `status` job summary, right after "
                    "apply:\n\n" + status_md + "\n\nThe follow-up section the scheduled job writes into the apply "
                    "comment:\n\n" + follow_up)
        print("\ndemo finished: adopted on Telnyx's timeline, followed to the end, drift caught and healed")
        print(f"the plan comment and the follow-up, with their pictures: {os.path.relpath(summary, ROOT)} "
              "(GitHub, or any Markdown viewer with Mermaid, draws them)")
    finally:
        sandbox.terminate()
        sandbox.wait(timeout=10)


if __name__ == "__main__":
    main()
