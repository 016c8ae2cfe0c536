"""`make demo`: the whole loop against a local sandbox, no Telnyx account needed.

Starts `reconciler sandbox` seeded like desired-state/, then runs validate,
plan, apply --auto-approve and drift; then makes an out-of-band change through
the sandbox's admin surface and shows drift catching it. Stops the sandbox.
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
    code = subprocess.call([sys.executable, "-m", "reconciler", *args], env=env, cwd=ROOT)
    print(f"(exit {code})", flush=True)
    if code not in ok:
        raise SystemExit(f"demo: `reconciler {' '.join(args)}` exited {code}, expected {ok}")
    return code


def main() -> None:
    journal = os.path.join(ROOT, ".demo", "journal.jsonl")
    if os.path.exists(journal):
        os.remove(journal)  # a previous demo's sandbox is gone; start a fresh journal
    sandbox = subprocess.Popen(
        [sys.executable, "-m", "reconciler", "sandbox", "--port", "0", "--seed", SEED],
        stdout=subprocess.PIPE, text=True, cwd=ROOT,
    )
    try:
        assert sandbox.stdout is not None
        base_url = sandbox.stdout.readline().strip()
        if not base_url.startswith("http"):
            raise SystemExit(f"demo: the sandbox did not start (printed {base_url!r})")
        print(f"sandbox running at {base_url}")
        env = dict(os.environ, TELNYX_API_BASE_URL=base_url, TELNYX_API_KEY="sandbox-key")
        run(env, "validate")
        run(env, "plan", "--detailed-exitcode", ok=(2,))
        run(env, "apply", "--auto-approve", "--journal", ".demo/journal.jsonl")
        run(env, "drift", "--journal", ".demo/journal.jsonl")
        admin = base_url.rsplit("/v2", 1)[0] + "/_admin/assignments/%2B13125550100"
        req = urllib.request.Request(admin, method="DELETE")
        urllib.request.urlopen(req).close()
        print("\n# out of band: someone removes +13125550100 from its campaign")
        run(env, "drift", "--journal", ".demo/journal.jsonl", ok=(2,))
        run(env, "apply", "--auto-approve", "--journal", ".demo/journal.jsonl")
        run(env, "drift", "--journal", ".demo/journal.jsonl")
        print("\ndemo finished: adopted, verified, drift caught and healed")
    finally:
        sandbox.terminate()
        sandbox.wait(timeout=10)


if __name__ == "__main__":
    main()
