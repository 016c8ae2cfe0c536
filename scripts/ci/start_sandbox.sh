#!/usr/bin/env bash
# Start the local Telnyx simulator in the background and hand its base URL to later steps.
#
#   bash scripts/ci/start_sandbox.sh SEED_FILE
#
# Used by the workflows when the repository variable RECONCILER_SANDBOX_SEED is set, so that a new
# repository can run the whole plan → merge → apply → drift loop before it has a Telnyx account.
# The sandbox's key is the public `sandbox-key`: the real secret is never handed to it.
# Writes `base_url=...` and `api_key=sandbox-key` to $GITHUB_OUTPUT (or prints them when run by hand).
set -euo pipefail
seed=${1:?usage: start_sandbox.sh SEED_FILE}
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
if [ -n "${GITHUB_OUTPUT:-}" ]; then
  printf 'base_url=%s\napi_key=sandbox-key\n' "$url" >> "$GITHUB_OUTPUT"
else
  printf 'base_url=%s\napi_key=sandbox-key\n' "$url"
fi
