"""The JSON Schema of one desired-state file, and its errors in words.

`schemas/desired-state.schema.json` is the one definition of the file's
structure; `reconciler/ids.py` reads it and derives the id patterns from it.
"""

from __future__ import annotations

import difflib
import json
import re
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Callable, Iterator

if TYPE_CHECKING:  # jsonschema costs ~0.1 s to import and runs only when a file is invalid
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError

from ..errors import Problem
from ..ids import full_match, schema
from ._yaml import POISON, YMap, YSeq, kind_of
from .wording import quoted, show_key

# Keywords the fast number-list check implements for `numbers.items`
# (tests assert the schema uses no others there).
NUMBER_ITEM_KEYWORDS = frozenset({"title", "description", "type", "pattern", "examples"})


@lru_cache(maxsize=1)
def validator() -> Draft202012Validator:
    from jsonschema import Draft202012Validator

    return Draft202012Validator(schema())


def python_search(pattern: str, value: str) -> bool:
    """What jsonschema's `pattern` keyword does (Python `re.search`)."""
    return re.search(pattern, value) is not None


def skeleton(root: Any) -> Any:
    """`root` with every campaign's number list emptied (they are checked by the
    fast path); everything else is the same objects, so error paths still
    address the original tree."""
    if not isinstance(root, dict):
        return root
    profiles = root.get("profiles")
    if not isinstance(profiles, list):
        return root
    new_profiles = []
    for profile in profiles:
        if isinstance(profile, dict) and isinstance(profile.get("campaigns"), list):
            campaigns = []
            for campaign in profile["campaigns"]:
                if isinstance(campaign, dict) and isinstance(campaign.get("numbers"), list):
                    campaign = {**campaign, "numbers": []}
                campaigns.append(campaign)
            profile = {**profile, "campaigns": campaigns}
        new_profiles.append(profile)
    return {**root, "profiles": new_profiles}


def _locate(root: Any, path: Any) -> tuple[int, int, str | None]:
    """Line, col and raw text of the node at a JSON path of the original tree."""
    node = root
    line, col = (root.line, root.col) if isinstance(root, (YMap, YSeq)) else (1, 1)
    raw = None
    for key in path:
        if isinstance(node, YMap) and key in node:
            line, col = node.vmarks[key]
            raw = node.raws.get(key)
        elif isinstance(node, YSeq) and isinstance(key, int) and key < len(node):
            line, col = node.lines[key], node.cols[key]
            raw = node.raws.get(key)
        else:  # pragma: no cover - paths come from this very tree
            break
        node = node[key]
    return line, col, raw


def _node_at(root: Any, path: Any) -> Any:
    node = root
    for key in path:
        node = node[key]
    return node


def _what(path: Any) -> str:
    """How a message names the node at `path`: 'id', an item of 'numbers', ..."""
    if not path:
        return "the file"
    last = path[-1]
    if isinstance(last, int):
        parent = next((p for p in reversed(path) if isinstance(p, str)), None)
        return f"each item of '{parent}'" if parent else "each item"
    return f"'{last}'"


_TYPE_WORDS = {
    "string": "a string",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "object": "a mapping",
    "array": "a list",
    "null": "empty",
}


def _expected(types: Any) -> str:
    if isinstance(types, str):
        return _TYPE_WORDS.get(types, types)
    return " or ".join(_TYPE_WORDS.get(t, t) for t in types)


def _quote_hint(value: Any, raw: str | None) -> str:
    if raw and value is not None:
        return f'; YAML read this as {kind_of(value)}: quote it: "{raw}"'
    return ""


# ---------------------------------------------------------------- fast check
#
# jsonschema spends ~100 µs on each profile; an estate of 10,000 profiles
# would spend seconds proving that a valid file is valid. `compile_check`
# turns the same schema into plain Python predicates (a few µs a profile) for
# the keywords this schema uses; a valid document never reaches jsonschema,
# an invalid one goes through jsonschema for the exact errors. A schema
# keyword it does not know makes it refuse (tests check the schema compiles),
# and tests check it agrees with jsonschema on generated documents.

ANNOTATIONS = frozenset({"$schema", "$id", "$comment", "title", "description", "examples", "default", "format"})
ASSERTIONS = frozenset(
    {"type", "properties", "required", "additionalProperties", "items", "pattern", "const",
     "minItems", "minLength", "minimum", "maximum"}
)


class UnsupportedSchema(ValueError):
    """The schema uses a keyword the fast check does not implement."""


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


_TYPE_TESTS: dict[str, Callable[[Any], bool]] = {
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: (isinstance(v, int) and not isinstance(v, bool))
    or (isinstance(v, float) and v.is_integer()),
    "number": _is_number,
    "boolean": lambda v: isinstance(v, bool),
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "null": lambda v: v is None,
}


def _json_equal(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    return type(a) is type(b) and a == b if not (_is_number(a) and _is_number(b)) else a == b


def compile_check(sch: Any) -> Callable[[Any], bool]:
    """A predicate equal to `Draft202012Validator(sch).is_valid` for this schema's keywords."""
    if sch is True:
        return lambda v: True
    if sch is False:
        return lambda v: False
    unknown = set(sch) - ANNOTATIONS - ASSERTIONS
    if unknown:
        raise UnsupportedSchema(f"fast check does not implement {sorted(unknown)}")
    checks: list[Callable[[Any], bool]] = []
    if "type" in sch:
        types = [sch["type"]] if isinstance(sch["type"], str) else list(sch["type"])
        tests = [_TYPE_TESTS[t] for t in types]
        checks.append(lambda v: any(t(v) for t in tests))
    if "const" in sch:
        const = sch["const"]
        checks.append(lambda v: _json_equal(v, const))
    if "pattern" in sch:
        search = re.compile(sch["pattern"]).search
        checks.append(lambda v: not isinstance(v, str) or search(v) is not None)
    if "minLength" in sch:
        min_length = sch["minLength"]
        checks.append(lambda v: not isinstance(v, str) or len(v) >= min_length)
    if "minimum" in sch:
        minimum = sch["minimum"]
        checks.append(lambda v: not _is_number(v) or v >= minimum)
    if "maximum" in sch:
        maximum = sch["maximum"]
        checks.append(lambda v: not _is_number(v) or v <= maximum)
    if "minItems" in sch:
        min_items = sch["minItems"]
        checks.append(lambda v: not isinstance(v, list) or len(v) >= min_items)
    if "items" in sch:
        item = compile_check(sch["items"])
        checks.append(lambda v: not isinstance(v, list) or all(map(item, v)))
    if "required" in sch:
        required = tuple(sch["required"])
        checks.append(lambda v: not isinstance(v, dict) or all(k in v for k in required))
    props = {k: compile_check(s) for k, s in sch.get("properties", {}).items()}
    if props:
        checks.append(lambda v: not isinstance(v, dict) or all(props[k](x) for k, x in v.items() if k in props))
    if "additionalProperties" in sch:
        extra = sch["additionalProperties"]
        if extra is not False:
            raise UnsupportedSchema("fast check implements additionalProperties: false only")
        allowed = frozenset(props)
        checks.append(lambda v: not isinstance(v, dict) or allowed.issuperset(v))
    if len(checks) == 1:
        return checks[0]
    return lambda v: all(c(v) for c in checks)


@lru_cache(maxsize=1)
def fast_check() -> Callable[[Any], bool]:
    return compile_check(schema())


def problems_for(root: Any, path: str, only: tuple[Any, ...] | None = None) -> list[Problem]:
    """Schema problems of one file's tree (number lists excluded), as Problems.

    `only`: check just the top-level key `only[0]` (used for `version`).
    """
    instance = skeleton(root)
    if only is not None:
        instance = {k: v for k, v in instance.items() if k == only[0]}
    elif fast_check()(instance):
        return []
    out: list[Problem] = []
    for err in validator().iter_errors(instance):
        abs_path = tuple(err.absolute_path)
        if only is not None and err.validator == "required":
            continue
        if err.instance is POISON:
            continue  # already reported (alias, tag)
        out.extend(_translate(err, abs_path, root, path))
    return out


def _translate(err: ValidationError, abs_path: tuple[Any, ...], root: Any, path: str) -> Iterator[Problem]:
    line, col, raw = _locate(root, abs_path)
    kw = err.validator
    inst = err.instance
    sch = err.schema if isinstance(err.schema, dict) else {}
    what = _what(abs_path)

    if kw == "additionalProperties":
        allowed = list(sch.get("properties", {}))
        node = _node_at(root, abs_path)  # the YMap itself (`inst` may be a skeleton copy)
        for key in inst:
            if key in allowed:
                continue
            kline, kcol = node.kmarks[key] if isinstance(node, YMap) and key in node.kmarks else (line, col)
            close = difflib.get_close_matches(str(key), allowed, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            yield Problem(path, kline, kcol, f"unknown key {show_key(str(key))}{hint} (allowed here: {', '.join(allowed)})")
        return
    if kw == "required":
        for key in err.validator_value:
            if isinstance(inst, dict) and key not in inst:
                extra = " (every file starts with version: 1)" if key == "version" and not abs_path else ""
                yield Problem(path, line, col, f"missing required key '{key}'{extra}")
        return
    if kw == "type":
        if not abs_path:
            yield Problem(path, line, col, f"expected a mapping with version: 1 at the top level, got {kind_of(inst)}")
            return
        hint = _quote_hint(inst, raw) if "string" in err.validator_value else ""
        shown = f" ({raw})" if raw and not hint else ""
        yield Problem(path, line, col, f"{what} must be {_expected(err.validator_value)}, got {kind_of(inst)}{shown}{hint}")
        return
    if kw == "const":
        if isinstance(inst, str):
            msg = f"'version' must be the number {err.validator_value} (unquoted), got the string {quoted(inst)}"
        else:
            msg = f"unsupported version {raw or json.dumps(inst, default=str)}; this reconciler reads version: {err.validator_value}"
        yield Problem(path, line, col, msg)
        return
    if kw == "pattern":
        yield Problem(path, line, col, pattern_message(what, sch, inst))
        return
    if kw == "minItems":
        n = err.validator_value
        if abs_path and abs_path[-1] == "campaigns":
            msg = "a profile needs at least one campaign under 'campaigns'"
        else:
            msg = f"{what} needs at least {n} item{'s' if n != 1 else ''}"
        yield Problem(path, line, col, msg)
        return
    if kw == "minLength":
        yield Problem(path, line, col, f"{what} must not be empty")
        return
    if kw in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        words = {"minimum": "at least", "maximum": "at most", "exclusiveMinimum": "more than", "exclusiveMaximum": "less than"}
        yield Problem(path, line, col, f"{what} must be {words[kw]} {err.validator_value}, got {raw or inst}")
        return
    yield Problem(path, line, col, f"{what}: {err.message}")  # pragma: no cover - keywords the schema does not use


def pattern_message(what: str, sch: dict[str, Any], inst: Any) -> str:
    title = sch.get("title", "value")
    pattern = sch.get("pattern", "")
    rx = full_match(pattern)
    text = quoted(inst)
    if isinstance(inst, str):
        if rx.fullmatch(inst.strip()):
            return f"{what} {text} has spaces or a line break around it"
        if rx.fullmatch(inst.lower()):
            return f'{what} {text} must be in lower case: "{inst.lower()}"'
        if rx.fullmatch(inst.upper()):
            return f'{what} {text} must be in upper case: "{inst.upper()}"'
    if title == "Day of the week":
        return f"{what} {text} is not a day: use mon, tue, wed, thu, fri, sat or sun"
    if title == "Time of day":
        return f'{what} {text} is not a time of day: use "HH:MM", from "00:00" to "23:59"'
    if title == "Profile label":
        return f"{what} must be one line of printable text (no control or direction characters), at most 100 characters"
    if title == "Messaging profile id":
        return f"{what} {text} is not a messaging profile id (a UUID like 4001767e-ce0f-4cae-9d5f-0d5e636e7809)"
    if title == "TCR campaign id":
        return f"{what} {text} is not a TCR campaign id (C and 5 to 8 upper-case letters or digits, like CWZTFH1)"
    return f"{what} {text} is not a valid {title.lower()}: it must match {pattern}"
