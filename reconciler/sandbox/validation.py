"""Strict request validation: a request that breaks the spec is refused with a 400.

Query parameters and JSON bodies are checked against small declarative specs transcribed from
the OpenAPI subset (paths, names, types, enums, bounds are facts; no spec text is copied).
Anything unknown (query parameter or body field), a wrong type, a missing required value, or a
page size over the maximum gets a Telnyx error naming it in `source.parameter` /
`source.pointer`, so a client bug fails a test here rather than in production.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from reconciler.sandbox import errors as E
from reconciler.sandbox.seed import UUID_RE

INT_RE = re.compile(r"^-?[0-9]+\Z")

MAX_10DLC_PAGE = 500


@dataclass(frozen=True)
class Param:
    """One query parameter."""

    name: str
    kind: str = "str"  # str | int | uuid
    required: bool = False
    default: Any = None
    enum: tuple[str, ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    tenDLC_page_size: bool = False  # the page_size_over_max mode decides what > 500 does


def parse_query(pairs: list[tuple[str, str]], params: tuple[Param, ...], modes: dict[str, str]) -> dict[str, Any]:
    by_name = {p.name: p for p in params}
    seen: dict[str, str] = {}
    for name, value in pairs:
        if name not in by_name:
            known = ", ".join(sorted(by_name)) or "none"
            raise E.bad_param(name, f"Unknown query parameter {name!r}; this operation takes: {known}")
        if name in seen:
            raise E.bad_param(name, f"Query parameter {name!r} is given more than once")
        seen[name] = value
    out: dict[str, Any] = {}
    for p in params:
        if p.name not in seen:
            if p.required:
                raise E.bad_param(p.name, f"Missing required query parameter {p.name!r}", code=E.MISSING_PARAMETER)
            out[p.name] = p.default
            continue
        raw = seen[p.name]
        value: Any = raw
        if p.kind == "int":
            if not INT_RE.match(raw):
                raise E.bad_param(p.name, f"Query parameter {p.name!r} must be an integer, got {raw!r}")
            value = int(raw)
            if p.name == "page" and value == 0 and modes.get("page_zero") == "first":
                value = 1  # mode page_zero: the spec gives a default of 1 and no minimum
            if p.minimum is not None and value < p.minimum:
                raise E.bad_param(p.name, f"Query parameter {p.name!r} must be at least {p.minimum}, got {value}")
            if p.tenDLC_page_size and value > MAX_10DLC_PAGE:
                if modes.get("page_size_over_max") == "clamp":
                    value = MAX_10DLC_PAGE
                else:
                    raise E.bad_param(p.name, f"Query parameter {p.name!r} must be at most {MAX_10DLC_PAGE}, got {value}")
            if p.maximum is not None and value > p.maximum:
                raise E.bad_param(p.name, f"Query parameter {p.name!r} must be at most {p.maximum}, got {value}")
        elif p.kind == "uuid":
            if not UUID_RE.match(raw):
                raise E.bad_param(p.name, f"Query parameter {p.name!r} must be a UUID, got {raw!r}")
        if p.enum and value not in p.enum:
            raise E.bad_param(p.name, f"Query parameter {p.name!r} must be one of {', '.join(p.enum)}; got {raw!r}")
        out[p.name] = value
    return out


def page_params_10dlc(default_size: int) -> tuple[Param, ...]:
    return (
        Param("page", "int", default=1, minimum=1),
        Param("recordsPerPage", "int", default=default_size, minimum=1, tenDLC_page_size=True),
    )


CLASSIC_PAGE = (
    Param("page[number]", "int", default=1, minimum=1),
    Param("page[size]", "int", default=20, minimum=1, maximum=250),
)


@dataclass(frozen=True)
class Field:
    """One JSON body field."""

    kind: str  # str | bool | str_list
    required: bool = False
    nullable: bool = False


def load_json(raw: bytes, what: str = "The request body") -> Any:
    """A JSON body, or a 400 saying why not: not JSON, not UTF-8, or nested deeper than the parser
    goes (a body nested 10^5 deep: once a RecursionError, answered 500)."""
    try:
        return json.loads(raw)
    except RecursionError:
        raise E.bad_field("", f"{what} is nested too deeply to be read as JSON") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise E.bad_field("", f"{what} is not valid JSON: {exc}") from None


def parse_body(raw: bytes, content_type: str | None, fields: dict[str, Field] | None) -> dict[str, Any]:
    """Parse and check a JSON object body. `fields=None`: the operation takes no body."""
    if fields is None:
        if raw.strip():
            raise E.bad_field("", "This operation takes no request body")
        return {}
    if not raw.strip():
        raise E.bad_field("", "A JSON request body is required", code=E.MISSING_PARAMETER)
    if content_type is None or "json" not in content_type.lower():
        raise E.bad_field("", f"The request body must be application/json, not {content_type or 'unspecified'}")
    body = load_json(raw)
    if not isinstance(body, dict):
        raise E.bad_field("", "The request body must be a JSON object")
    for key in body:
        if key not in fields:
            raise E.bad_field("/" + _escape(key), f"Unknown field {key!r}; allowed: {', '.join(sorted(fields))}")
    for key, spec in fields.items():
        pointer = "/" + key
        if key not in body:
            if spec.required:
                raise E.bad_field(pointer, f"Missing required field {key!r}", code=E.MISSING_PARAMETER)
            continue
        value = body[key]
        if value is None:
            if spec.nullable:
                continue
            raise E.bad_field(pointer, f"Field {key!r} must not be null")
        if spec.kind == "str" and not isinstance(value, str):
            raise E.bad_field(pointer, f"Field {key!r} must be a string")
        if spec.kind == "bool" and not isinstance(value, bool):
            raise E.bad_field(pointer, f"Field {key!r} must be a boolean")
        if spec.kind == "str_list":
            if not isinstance(value, list):
                raise E.bad_field(pointer, f"Field {key!r} must be an array of strings")
            for i, item in enumerate(value):
                if not isinstance(item, str):
                    raise E.bad_field(f"{pointer}/{i}", f"Items of {key!r} must be strings")
    return body


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")
