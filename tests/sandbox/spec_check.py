"""Validate sandbox traffic against Telnyx's OpenAPI subset with jsonschema.

The spec is Telnyx's text, so the project does not ship it: it is read from
`../shared/telnyx-openapi/10dlc-subset.json` (relative to the repository root) or from the path
in `TELNYX_OPENAPI_SPEC`. Where it is absent, conformance checks are skipped with a message
saying how to get it.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SPEC = REPO_ROOT.parent / "shared" / "telnyx-openapi" / "10dlc-subset.json"
HOW_TO_GET = (
    "Telnyx OpenAPI subset not found: put it at ../shared/telnyx-openapi/10dlc-subset.json "
    "(next to the repository) or set TELNYX_OPENAPI_SPEC to its path; it is cut from "
    "team-telnyx/openapi openapi/spec3.yml at commit 12de4dd0 (see that folder's README.md)."
)
BASE = "urn:telnyx-spec"


def spec_path() -> Path | None:
    env = os.environ.get("TELNYX_OPENAPI_SPEC")
    path = Path(env) if env else DEFAULT_SPEC
    return path if path.is_file() else None


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


class SpecChecker:
    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.registry: Registry = Registry().with_resource(BASE, Resource.from_contents(spec, default_specification=DRAFT202012))
        self.routes: list[tuple[str, re.Pattern[str], str, dict[str, Any]]] = []
        for template, ops in spec["paths"].items():
            regex = re.compile("^" + re.sub(r"\{[^/]+\}", "[^/]+", template) + "$")
            for method, operation in ops.items():
                self.routes.append((method.upper(), regex, template, operation))
        # literal paths first (e.g. partnerCampaign/sharedByMe before {campaignId})
        self.routes.sort(key=lambda r: r[2].count("{"))
        self.seen: set[str] = set()

    @classmethod
    def load(cls) -> SpecChecker | None:
        path = spec_path()
        if path is None:
            return None
        return cls(json.loads(path.read_text()))

    def operation(self, method: str, path: str) -> tuple[str, dict[str, Any]] | None:
        for m, regex, template, operation in self.routes:
            if m == method and regex.match(path):
                return template, operation
        return None

    def _validate(self, pointer: str, instance: Any) -> list[str]:
        validator = Draft202012Validator({"$ref": f"{BASE}#{pointer}"}, registry=self.registry)
        return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(instance)]

    def check_response(self, method: str, path: str, status: int, body: bytes) -> list[str]:
        """Problems with one /v2 response ([] if it conforms). `path` is relative to /v2."""
        found = self.operation(method, path)
        if found is None:
            return []  # unknown path: nothing in the spec to compare with
        template, operation = found
        self.seen.add(operation["operationId"])
        responses = operation["responses"]
        for key in (str(status), f"{status // 100}XX", "default"):
            if key in responses:
                break
        else:
            return [f"{operation['operationId']}: status {status} is not declared"]
        response = responses[key]
        base = f"/paths/{_escape(template)}/{method.lower()}/responses/{_escape(key)}"
        if "$ref" in response:
            base = response["$ref"][1:]
            response = self.spec["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
        content = response.get("content", {}).get("application/json")
        if content is None:
            return []
        try:
            instance = json.loads(body)
        except ValueError:
            return [f"{operation['operationId']}: body is not JSON"]
        return [f"{operation['operationId']} {status}: {p}" for p in self._validate(f"{base}/content/application~1json/schema", instance)]

    def check_request(self, method: str, path: str, query: str, body: bytes | None) -> list[str]:
        """Problems with a request the sandbox accepted: undeclared query params, body shape."""
        found = self.operation(method, path)
        if found is None:
            return [f"{method} {path} is not an operation of the spec"]
        template, operation = found
        problems: list[str] = []
        params = []
        for p in operation.get("parameters", []):
            if "$ref" in p:
                p = self.spec["components"]["parameters"][p["$ref"].rsplit("/", 1)[1]]
            if p["in"] == "query":
                params.append(p)
        names: set[str] = set()
        for p in params:
            if p.get("style") == "deepObject":
                names.update(f"{p['name']}[{prop}]" for prop in p["schema"].get("properties", {}))
            else:
                names.add(p["name"])
        for name, _ in parse_qsl(query, keep_blank_values=True):
            if name not in names:
                problems.append(f"query parameter {name} is not declared")
        request_body = operation.get("requestBody")
        if request_body is not None and body:
            pointer = f"/paths/{_escape(template)}/{method.lower()}/requestBody/content/application~1json/schema"
            problems += self._validate(pointer, json.loads(body))
        return problems
