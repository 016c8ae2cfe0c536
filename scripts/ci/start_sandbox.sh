#!/usr/bin/env bash
# Start the local Telnyx simulator in the background and hand its base URL to later steps.
#
#   bash scripts/ci/start_sandbox.sh SEED_FILE
#
# Used by the workflows when the repository variable RECONCILER_SANDBOX_SEED is set, so that a new
# repository can run the whole plan → merge → apply → drift loop before it has a Telnyx account.
# The sandbox's key is the public `sandbox-key`: the real secret is never handed to it.
# Writes `base_url=...` and `api_key=sandbox-key` to $GITHUB_OUTPUT (or prints them when run by hand),
# and a warning to the job summary, so a green run against the sandbox cannot pass for one against Telnyx.
# Refuses (exit 1) when HAS_TELNYX_KEY=true: a job that can reach a real key (a repository secret, or
# the production environment's) is meant for Telnyx, and one variable must not silently swap it out.
set -euo pipefail
seed=${1:?usage: start_sandbox.sh SEED_FILE}
if [ "${HAS_TELNYX_KEY:-false}" = "true" ]; then
  echo "::error::RECONCILER_SANDBOX_SEED is set, but this job can reach a Telnyx key (TELNYX_API_KEY): refusing to run" \
       "against the sandbox where Telnyx is meant. Delete the variable to use Telnyx, or the key to stay on the sandbox." >&2
  exit 1
fi
[ -f "$seed" ] || { echo "::error::sandbox seed $seed not found (RECONCILER_SANDBOX_SEED)" >&2; exit 1; }
dir=${RUNNER_TEMP:-$(mktemp -d)}
out="$dir/reconciler-sandbox.out"
: > "$out"
# Output to files, never to the step's own stdout: a background process holding it open hangs the step.
reconciler sandbox --seed "$seed" --port 0 --api-key sandbox-key > "$out" 2> "$dir/reconciler-sandbox.log" &
echo "$!" > "$dir/reconciler-sandbox.pid"
for _ in $(seq 1 100); do
  if [ -s "$out" ]; then break; fi
  if ! kill -0 "$(cat "$dir/reconciler-sandbox.pid")" 2>/dev/null; then
    echo "::error::the sandbox exited:" >&2; cat "$dir/reconciler-sandbox.log" >&2; exit 1
  fi
  sleep 0.1
done
url=$(head -n 1 "$out")
case "$url" in http://127.0.0.1:*/v2|http://localhost:*/v2) ;; *) echo "::error::sandbox did not start: $url" >&2; exit 1;; esac
echo "sandbox serving at $url (stands in for Telnyx)" >&2
if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
  printf '> [!WARNING]\n> **Sandbox, not Telnyx**: this job ran against the local simulator seeded from `%s`\n> (repository variable `RECONCILER_SANDBOX_SEED`). Nothing here was read from or written to Telnyx.\n\n' \
    "$(basename -- "$seed" | tr -cd 'A-Za-z0-9._-')" >> "$GITHUB_STEP_SUMMARY"
fi
if [ -n "${GITHUB_OUTPUT:-}" ]; then
  printf 'base_url=%s\napi_key=sandbox-key\n' "$url" >> "$GITHUB_OUTPUT"
else
  printf 'base_url=%s\napi_key=sandbox-key\n' "$url"
fi
