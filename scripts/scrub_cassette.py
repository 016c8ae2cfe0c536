"""Scrub a vcrpy cassette recorded from a real Telnyx account (`make record`) so it can be shared.

    python scripts/scrub_cassette.py tests/cassettes/import_all.yaml scrubbed.yaml

Replaces, consistently across the whole cassette (requests and responses), every phone number, UUID,
TCR campaign and brand id, numeric record id and free-text name with a fake of the same shape: the
same real value becomes the same fake everywhere, so the scrubbed cassette still replays (the
requests it recorded name the ids its answers gave) and still shows the answers' shapes, statuses,
counts and pagination. Fakes are handed out in order of first appearance, never derived from the
real value (a hash of a phone number can be reversed by trying every number). Headers are cut to
the few that say how to parse the body; Authorization never survives. Prints how many values of
each kind it replaced.

Review the output before you send it: a name in a place this script does not know of (a
`failureReasons` text quoting a brand, say) is kept as Telnyx wrote it.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import yaml

E164 = re.compile(r"(\+|%2B)1([2-9][0-9]{9})")
NUMERIC_ID = re.compile(r"[0-9]{4,30}")  # a record id (never a small count or page number)
UUID = re.compile(r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b")
# Keys whose values are identifiers or names in the operations the reconciler calls.
TCR_KEYS = {"tcrCampaignId", "tcr_campaign_id", "campaignId"}
BRAND_KEYS = {"tcrBrandId", "brandId", "tcr_brand_id"}
NUMERIC_ID_KEYS = {"id", "phone_number_id", "record_id"}
NAME_KEYS = {"name", "brandDisplayName", "displayName", "companyName", "description", "email", "website",
             "webhook_url", "webhook_failover_url", "webhookURL", "webhookFailoverURL", "messageFlow",
             "helpMessage", "optinMessage", "optoutMessage", "sample1", "sample2", "sample3", "sample4", "sample5",
             "referenceId", "tags", "connection_id", "billing_group_id"}
KEEP_HEADERS = {"content-type"}


class Scrubber:
    """One consistent mapping for a whole cassette: real value -> fake of the same shape."""

    def __init__(self) -> None:
        self.maps: dict[str, dict[str, str]] = {}

    def fake(self, kind: str, real: str) -> str:
        m = self.maps.setdefault(kind, {})
        if real not in m:
            i = len(m) + 1
            m[real] = {
                "number": f"+1202555{i:04d}",
                "uuid": f"00000000-0000-4000-8000-{i:012x}",
                "tcr": f"CSCR{i:04d}"[:9],
                "brand": f"BSCR{i:03d}",
                "id": str(9_000_000_000 + i),
                "name": f"redacted-{i}",
            }[kind]
        return m[real]

    # ---- pass 1: learn the identifiers the bodies name (so URIs can be scrubbed by exact value)

    def learn(self, value: Any, key: str | None = None) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                self.learn(v, k)
        elif isinstance(value, list):
            for v in value:
                self.learn(v, key)
        elif isinstance(value, str) and value:
            if key in TCR_KEYS and not UUID.fullmatch(value):
                self.fake("tcr", value)
            elif key in BRAND_KEYS:
                self.fake("brand", value)
            elif key in NUMERIC_ID_KEYS and NUMERIC_ID.fullmatch(value):
                self.fake("id", value)
        elif isinstance(value, int) and not isinstance(value, bool) and key in NUMERIC_ID_KEYS \
                and NUMERIC_ID.fullmatch(str(value)):
            self.fake("id", str(value))

    # ---- pass 2: replace

    def text(self, s: str) -> str:
        s = E164.sub(lambda m: m.group(1) + self.fake("number", "+1" + m.group(2))[1:], s)
        s = UUID.sub(lambda m: self.fake("uuid", m.group(0).lower()), s)
        for kind in ("tcr", "brand", "id"):
            for real, fake in self.maps.get(kind, {}).items():
                if kind == "id":
                    s = re.sub(rf"(?<![0-9]){re.escape(real)}(?![0-9])", fake, s)
                else:
                    s = re.sub(rf"\b{re.escape(real)}\b", fake, s)
        return s

    def value(self, value: Any, key: str | None = None) -> Any:
        if isinstance(value, dict):
            return {k: self.value(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [self.value(v, key) for v in value]
        if isinstance(value, str):
            if key in NAME_KEYS and value:
                return self.fake("name", value)
            return self.text(value)
        if isinstance(value, int) and not isinstance(value, bool) and key in NUMERIC_ID_KEYS \
                and NUMERIC_ID.fullmatch(str(value)):
            return int(self.fake("id", str(value)))
        return value

    def body(self, raw: str) -> str:
        try:
            doc = json.loads(raw)
        except ValueError:
            return self.text(raw)
        return json.dumps(self.value(doc), separators=(",", ":"))


def _body_text(b: Any) -> str:
    if isinstance(b, dict):
        b = b.get("string", "")
    if isinstance(b, bytes):
        b = b.decode("utf-8", "replace")
    return b or ""


def scrub(cassette: dict[str, Any]) -> tuple[dict[str, Any], Scrubber]:
    s = Scrubber()
    interactions = cassette.get("interactions") or []
    for it in interactions:
        for part in (it.get("request", {}), it.get("response", {})):
            try:
                s.learn(json.loads(_body_text(part.get("body"))))
            except ValueError:
                pass
    out = []
    for it in interactions:
        req, resp = dict(it.get("request", {})), dict(it.get("response", {}))
        req["uri"] = re.sub(r"^https?://[^/]+", "https://api.telnyx.invalid", s.text(req.get("uri", "")))
        req["headers"] = {k: v for k, v in (req.get("headers") or {}).items() if k.lower() in KEEP_HEADERS}
        req["body"] = s.body(_body_text(req.get("body"))) if req.get("body") else req.get("body")
        resp["headers"] = {k: v for k, v in (resp.get("headers") or {}).items() if k.lower() in KEEP_HEADERS}
        resp["body"] = {"string": s.body(_body_text(resp.get("body")))}
        out.append({"request": req, "response": resp})
    return {**cassette, "interactions": out}, s


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    src, dst = Path(argv[0]), Path(argv[1])
    doc = yaml.safe_load(src.read_text(encoding="utf-8"))
    scrubbed, s = scrub(doc)
    text = yaml.safe_dump(scrubbed, sort_keys=False, allow_unicode=True)
    dst.write_text(text, encoding="utf-8")
    said = ", ".join(f"{len(m)} {kind}" for kind, m in sorted(s.maps.items()))
    print(f"{dst}: {len(scrubbed['interactions'])} interactions; replaced {said or 'nothing'}")
    print("review it before you send it: text this script does not know of is kept as Telnyx wrote it")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
