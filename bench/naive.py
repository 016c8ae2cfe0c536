"""The naive baseline: what Telnyx's guide does, one request per number per change, no sleep.

For each declared number, in order: `PATCH /phone_numbers/{number}/messaging` (put it on its
profile), then `POST /10dlc/phone_number_campaigns` (assign it). Sequential, keep-alive, no
reads. The sandbox runs with `phone_id=numeric_or_e164` (so the number itself is its id: no
lookup of numeric ids, which flatters the baseline) and `shared_per_number=allow` (per-number
writes to a shared campaign are accepted; Telnyx documents only bulk for them). The guide's
0.5 s sleep is left out; a 429 is retried after 1/rate seconds and counted.
"""

from __future__ import annotations

import http.client
import json
import time
from typing import Iterable
from urllib.parse import quote, urlsplit

from .sandbox import KEY


def run_naive(base_url: str, changes: Iterable[tuple[str, str, str]], rate_limit: float | None,
              progress=lambda msg: None) -> dict[str, object]:
    parts = urlsplit(base_url)
    prefix = parts.path.rstrip("/")
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    headers = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}
    backoff = 1.0 / rate_limit if rate_limit else 0.05
    sent = throttled = failed = numbers = 0
    started = time.perf_counter()

    def call(method: str, path: str, body: dict) -> None:
        nonlocal sent, throttled, failed
        while True:
            conn.request(method, prefix + path, body=json.dumps(body), headers=headers)
            resp = conn.getresponse()
            resp.read()
            sent += 1
            if resp.status == 429:
                throttled += 1
                time.sleep(backoff)
                continue
            if resp.status >= 300:
                failed += 1
            return

    for number, profile, campaign in changes:
        call("PATCH", f"/phone_numbers/{quote(number, safe='')}/messaging", {"messaging_profile_id": profile})
        call("POST", "/10dlc/phone_number_campaigns", {"phoneNumber": number, "campaignId": campaign})
        numbers += 1
        if numbers % 500 == 0:
            progress(f"naive: {numbers} numbers, {sent} requests, {time.perf_counter() - started:.0f} s")
    conn.close()
    return {"numbers": numbers, "requests_sent": sent, "throttled": throttled, "failed": failed,
            "wall_s": time.perf_counter() - started}
