"""Bytes → a plain-data tree that remembers where every value stood.

libyaml (through PyYAML's C parser) turns the text into events; `compose`
folds the events into `YMap` (a dict) / `YSeq` (a list) / scalars, and keeps
1-based `line`/`col` marks beside each value. It never constructs Python
objects from tags and never expands aliases, so `!!python/...` tags and alias
bombs cost nothing; both are reported as problems.

Everything that can go wrong here becomes a `Problem`; nothing else escapes.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any, Callable

import yaml
from yaml.events import (
    AliasEvent,
    DocumentEndEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from yaml.nodes import ScalarNode

from ..errors import Problem
from .wording import show_key

try:  # libyaml: ~10x faster, same marks
    from yaml.cyaml import CParser as _Parser
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeLoader as _Parser  # type: ignore[assignment]

STR_TAG = "tag:yaml.org,2002:str"
UTF8_BOM = b"\xef\xbb\xbf"


class YMap(dict):
    """A YAML mapping. `kmarks[key]`/`vmarks[key]` are (line, col) of the key and
    its value; `raws[key]` is the source text of a plain scalar that YAML read as
    something other than a string (`+13125550100` → int)."""

    __slots__ = ("line", "col", "kmarks", "vmarks", "raws")

    def __init__(self, line: int, col: int) -> None:
        super().__init__()
        self.line = line
        self.col = col
        self.kmarks: dict[str, tuple[int, int]] = {}
        self.vmarks: dict[str, tuple[int, int]] = {}
        self.raws: dict[str, str] = {}


class YSeq(list):
    """A YAML sequence; `lines[i]`, `cols[i]` mark item i, `raws` as in `YMap`."""

    __slots__ = ("line", "col", "lines", "cols", "raws")

    def __init__(self, line: int, col: int) -> None:
        super().__init__()
        self.line = line
        self.col = col
        self.lines: list[int] = []
        self.cols: list[int] = []
        self.raws: dict[int, str] = {}


class _Poison:
    """Stands in for a value already reported (an alias, a forbidden tag), so
    that later checks skip it instead of piling up follow-on errors."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<already reported>"


POISON = _Poison()
EMPTY = object()  # compose() result for a file without any YAML document
FAILED = object()  # compose() result when the YAML could not be parsed (problem recorded)

_NOKEY = object()  # mapping frame waits for a key
_SKIP = object()  # mapping frame discards the next value (bad or duplicate key)


def _build_plain_resolver() -> Callable[[str], Any]:
    """PyYAML's own YAML 1.1 implicit typing (the SafeLoader's), without nodes."""
    resolvers = yaml.resolver.Resolver.yaml_implicit_resolvers
    wildcard = resolvers.get(None, [])
    constructor = yaml.constructor.SafeConstructor()
    construct = {
        "tag:yaml.org,2002:null": lambda v: None,
        "tag:yaml.org,2002:bool": lambda v: constructor.construct_yaml_bool(ScalarNode("", v)),
        "tag:yaml.org,2002:int": lambda v: constructor.construct_yaml_int(ScalarNode("", v)),
        "tag:yaml.org,2002:float": lambda v: constructor.construct_yaml_float(ScalarNode("", v)),
        "tag:yaml.org,2002:timestamp": lambda v: constructor.construct_yaml_timestamp(ScalarNode("", v)),
    }

    def resolve(value: str) -> Any:
        for tag, regexp in resolvers.get(value[:1], []) + wildcard:
            if regexp.match(value):
                make = construct.get(tag)
                if make is None:  # merge (<<) and value (=) tags: plain text here
                    return value
                try:
                    return make(value)
                except (ValueError, OverflowError, TypeError, yaml.YAMLError):
                    return value  # e.g. 2024-02-30: looks like a date, is not one
        return value

    return resolve


resolve_plain = _build_plain_resolver()


def kind_of(value: Any) -> str:
    """What YAML made of a value, in words, for messages."""
    if value is None:
        return "an empty value (null)"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "a number"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, (_dt.date, _dt.datetime)):
        return "a date"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


def _pos(data: bytes, offset: int) -> tuple[int, int]:
    """1-based (line, col in characters) of a byte offset."""
    offset = max(0, min(offset, len(data)))
    start = data.rfind(b"\n", 0, offset) + 1
    line = data.count(b"\n", 0, offset) + 1
    col = len(data[start:offset].decode("utf-8", "replace")) + 1
    return line, col


def decode_check(data: bytes, path: str, problems: list[Problem]) -> bytes | None:
    """Strip one UTF-8 BOM; reject other encodings. Returns the bytes to parse."""
    if data.startswith(UTF8_BOM):
        data = data[len(UTF8_BOM) :]
    elif data[:4] in (b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff"):
        problems.append(Problem(path, 1, 1, "file is UTF-32 encoded; save it as UTF-8"))
        return None
    elif data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        problems.append(Problem(path, 1, 1, "file is UTF-16 encoded; save it as UTF-8"))
        return None
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, col = _pos(data, exc.start)
        bad = data[exc.start : exc.start + 1].hex()
        problems.append(
            Problem(path, line, col, f"not valid UTF-8 (byte 0x{bad}); save the file as UTF-8")
        )
        return None
    return data


def _syntax_problem(exc: yaml.YAMLError, data: bytes, path: str) -> Problem:
    mark = getattr(exc, "problem_mark", None)
    if mark is not None:
        line, col = mark.line + 1, mark.column + 1
    elif getattr(exc, "position", None) is not None:  # ReaderError: byte offset
        line, col = _pos(data, exc.position)  # type: ignore[attr-defined]
    else:  # pragma: no cover - every PyYAML error has one or the other
        line, col = 1, 1
    problem = getattr(exc, "problem", None) or getattr(exc, "reason", None) or str(exc)
    if isinstance(exc, yaml.reader.ReaderError):
        char = getattr(exc, "character", None)
        code = ord(char) if isinstance(char, str) else char
        problem = (
            f"character U+{code:04X} is not allowed in YAML (control character)"
            if isinstance(code, int)
            else f"unreadable character: {exc.reason}"
        )
        return Problem(path, line, col, problem)
    lines = data.split(b"\n")
    text = lines[line - 1].decode("utf-8", "replace") if 0 < line <= len(lines) else ""
    hint = ""
    if "\t" in text[: max(col, 1)] or "tab" in problem:
        hint = "; YAML does not allow tabs for indentation: use spaces"
    elif "\ufeff" in text:
        hint = "; a stray byte-order mark (U+FEFF) sits on this line: remove it"
    context = getattr(exc, "context", None)
    cmark = getattr(exc, "context_mark", None)
    where = ""
    if context and cmark is not None:
        where = f" ({context} started at line {cmark.line + 1}, column {cmark.column + 1})"
    elif context:
        where = f" ({context})"
    return Problem(path, line, col, f"YAML syntax error: {problem}{where}{hint}")


MAX_DEPTH = 64


def compose(data: bytes, path: str, problems: list[Problem]) -> Any:
    """Parse one YAML stream into YMap/YSeq/scalars with marks.

    Returns EMPTY when the stream holds no document, FAILED when parsing failed
    (the problem is recorded), else the root value.
    """
    parser = _Parser(data)
    try:
        return _compose(parser.get_event, path, problems)
    except yaml.YAMLError as exc:
        problems.append(_syntax_problem(exc, data, path))
        return FAILED
    except RecursionError:  # pragma: no cover - libyaml nests iteratively; belt and braces
        problems.append(Problem(path, 1, 1, "YAML nested too deeply"))
        return FAILED
    finally:
        dispose = getattr(parser, "dispose", None)
        if dispose is not None:
            dispose()


def _compose(get_event: Callable[[], Any], path: str, problems: list[Problem]) -> Any:
    get_event()  # StreamStartEvent
    ev = get_event()
    if type(ev) is StreamEndEvent:
        return EMPTY
    assert type(ev) is DocumentStartEvent
    add_problem = problems.append

    root: Any = None
    # A frame is [container, state, tagged]: state is what a mapping expects
    # next (_NOKEY: a key; _SKIP: a value to drop; a key string: its value),
    # unused for a sequence; tagged marks a container with a forbidden tag.
    stack: list[list[Any]] = []
    pending = None  # an event read ahead by the sequence fast path

    while True:
        if pending is not None:
            ev, pending = pending, None
        else:
            ev = get_event()
        cls = type(ev)

        if cls is ScalarEvent:
            mark = ev.start_mark
            line, col = mark.line + 1, mark.column + 1
            if ev.anchor is not None:
                add_problem(Problem(path, line, col, f"YAML anchors (&{ev.anchor}) are not allowed"))
            raw = None
            tag = ev.tag
            if ev.implicit[0]:  # plain, untagged: YAML 1.1 typing
                value = ev.value
                if value == "":
                    value = None
                    raw = ""
                else:
                    value = resolve_plain(value)
                    if type(value) is not str:
                        raw = ev.value
            elif tag is None or tag == "!" or tag == STR_TAG:
                value = ev.value
            else:
                add_problem(Problem(path, line, col, f"YAML tags ({_short_tag(tag)}) are not allowed"))
                value = POISON
            node_is_scalar = True
            key_text = ev.value
        elif cls is MappingStartEvent or cls is SequenceStartEvent:
            mark = ev.start_mark
            line, col = mark.line + 1, mark.column + 1
            if ev.anchor is not None:
                add_problem(Problem(path, line, col, f"YAML anchors (&{ev.anchor}) are not allowed"))
            tagged = ev.tag is not None and ev.tag != "!" and not ev.implicit
            if tagged:
                add_problem(Problem(path, line, col, f"YAML tags ({_short_tag(ev.tag)}) are not allowed"))
            if len(stack) >= MAX_DEPTH:
                # A desired-state file is 5 levels deep; a hostile one could be thousands, which the
                # recursive checks after parsing (jsonschema) would not survive.
                add_problem(Problem(path, line, col, f"nested more than {MAX_DEPTH} levels deep; a desired-state "
                                                     "file needs 5"))
                return FAILED
            if cls is MappingStartEvent:
                stack.append([YMap(line, col), _NOKEY, tagged])
                continue
            seq = YSeq(line, col)
            stack.append([seq, None, tagged])
            # Fast path: a run of quoted, untagged scalars (a number list).
            append, lines_append, cols_append = seq.append, seq.lines.append, seq.cols.append
            while True:
                ev = get_event()
                # implicit[1] ("quoted implicit") is true exactly for an untagged non-plain scalar
                if type(ev) is ScalarEvent and ev.implicit[1] and ev.anchor is None:
                    mark = ev.start_mark
                    append(ev.value)
                    lines_append(mark.line + 1)
                    cols_append(mark.column + 1)
                else:
                    pending = ev
                    break
            continue
        elif cls is MappingEndEvent or cls is SequenceEndEvent:
            frame = stack.pop()
            value = frame[0]
            line, col = value.line, value.col
            if frame[2]:  # tagged: reported; keep the checks below from piling on
                value = POISON
            raw = None
            node_is_scalar = False
            key_text = None
        elif cls is AliasEvent:
            mark = ev.start_mark
            line, col = mark.line + 1, mark.column + 1
            add_problem(Problem(path, line, col, f"YAML aliases (*{ev.anchor}) are not allowed"))
            value = POISON
            raw = None
            node_is_scalar = False
            key_text = None
        elif cls is DocumentEndEvent:
            ev = get_event()
            if type(ev) is DocumentStartEvent:
                mark = ev.start_mark
                add_problem(
                    Problem(
                        path,
                        mark.line + 1,
                        mark.column + 1,
                        "a second YAML document (---); put one document in each file",
                    )
                )
            return root
        else:  # pragma: no cover - no other events inside a document
            continue

        # A complete node: hand it to its parent.
        if not stack:
            root = value
            continue
        frame = stack[-1]
        parent = frame[0]
        if type(parent) is YSeq:
            parent.append(value)
            parent.lines.append(line)
            parent.cols.append(col)
            if raw is not None:
                parent.raws[len(parent) - 1] = raw
            continue
        state = frame[1]
        if state is _NOKEY:  # this node is a key
            if not node_is_scalar:
                if value is not POISON:
                    add_problem(Problem(path, line, col, "mapping keys must be plain words, not lists or mappings"))
                frame[1] = _SKIP
            elif key_text in parent.kmarks:
                first = parent.kmarks[key_text]
                add_problem(
                    Problem(
                        path,
                        line,
                        col,
                        f"duplicate key {show_key(key_text)} (first at line {first[0]}, column {first[1]});"
                        " YAML keeps only one of them",
                    )
                )
                frame[1] = _SKIP
            elif value is POISON:
                frame[1] = _SKIP
            else:
                parent.kmarks[key_text] = (line, col)
                frame[1] = key_text
            continue
        frame[1] = _NOKEY
        if state is _SKIP:
            continue
        parent[state] = value
        if raw == "":  # an empty value has no place of its own: point at its key
            parent.vmarks[state] = parent.kmarks[state]
        else:
            parent.vmarks[state] = (line, col)
        if raw is not None:
            parent.raws[state] = raw


def _short_tag(tag: str) -> str:
    prefix = "tag:yaml.org,2002:"
    return "!!" + tag[len(prefix) :] if tag.startswith(prefix) else tag
