"""YAML desired-state files → `DesiredState`, with `path:line:col` on every problem.

Public API
----------
- `load_desired(path) -> DesiredState` (alias `validate_files`): `path` is a
  folder (every `*.yaml`/`*.yml` below it, recursively, sorted, merged) or one
  file. Raises `DesiredStateError` carrying every problem of every file; no
  other exception escapes for bad input.
- `schema()` / `SCHEMA_RESOURCE`: the JSON Schema of one file (draft 2020-12),
  read from `reconciler/data/desired-state.schema.json`, a symlink to
  `schemas/desired-state.schema.json` (the one source of truth).
- `is_us_long_code(s)` / `explain_number(value)`: the number rule on its own
  (for `import` and the sandbox seed checks, say).

How a file is read, and why this way
------------------------------------
A million numbers must validate in a few seconds, and every problem needs its
line and column. So:

1. Bytes: one leading UTF-8 BOM is accepted and dropped (YAML allows it and
   Windows editors write it; columns are unaffected). UTF-16/32 and invalid
   UTF-8 are errors at the first bad byte.
2. Parse: libyaml's event stream (`yaml.CParser`, ~1.4 s for a million
   numbers) is folded by `_yaml.compose` into plain dicts/lists (`YMap`,
   `YSeq`) that carry the marks of every key and value. A run of quoted
   scalars in a list (a number list) takes a tight fast path. Nothing is
   constructed from tags (any tag but `!!str` is an error) and aliases are
   never expanded (anchors and aliases are errors), so alias bombs cost
   nothing. Duplicate keys are errors (PyYAML would keep the last silently).
   Plain scalars get PyYAML's own YAML 1.1 typing, so an unquoted
   `+13125550100` is an int here exactly as in PyYAML, and the message says
   to quote it. Tabs in indentation, control characters and other syntax
   errors come from libyaml with their position (one per file: the parser
   cannot go on past the first).
3. Structure: the JSON Schema is applied with `jsonschema` to a *skeleton* of
   the tree: the same objects, but each campaign's `numbers` list emptied.
   Validating a million list items through jsonschema would take ~12 s;
   even the skeleton costs ~100 µs a profile there, so a plain-Python
   predicate compiled from the same schema (`_schema.compile_check`, the
   keywords this schema uses, refusing any other) clears a valid skeleton
   first, and only an invalid one goes through jsonschema for its errors.
   Schema errors are translated to messages and mapped back to the node's
   mark through the error's path.
4. Number lists: a hand check does, per item, what the schema's `numbers`
   item subschema says (`type: string`, `pattern`, read from the schema;
   a test fails if that subschema grows a keyword the check does not
   implement, and a table test shows both flag the same places), and more:
   the number must also match libphonenumber's US fixed-line/mobile pattern
   (valid NANP, assigned area code, US and not Canada or the Caribbean, not
   toll-free, premium or 5XX). A list of good numbers is checked with
   `all(map(regex.fullmatch, ...))` and turned into `DesiredNumber`s with
   `map` (about 1 µs a number in all); only a bad number is parsed with
   `phonenumbers` to explain why. Duplicates are found in one `dict(zip())`.
5. Rules across files: a number, a profile id and the `policy` block are each
   declared once; a repeat is reported at its second place, naming every
   place. A campaign may sit under several profiles, once under each.

Strings shared by many numbers (profile id, campaign id, path) are interned,
and the cyclic garbage collector is paused while loading (a million acyclic
objects only make it rescan).

Decisions
---------
- `profiles` is optional and may be empty (a file may hold only `version`
  and `policy`); each profile needs at least one campaign; a campaign's
  `numbers` is required and may be empty ("manage this campaign, with no
  numbers here").
- An empty file (or only comments) is an error: "empty file; expected
  version: 1". A file with another `version` reports only that.
- Profile ids are lower-case UUIDs (Telnyx's form); upper case gets a hint.
- Schema patterns are matched with ECMA-262 semantics (`$` is the end), so
  "CWZTFH1\\n" from a block scalar is rejected although Python's `re.search`
  would accept it.
- Symlinks are followed, each real folder and file read once; a link back to
  a folder already read (a loop), a second link to a file, or a broken link
  is an error.
"""

from __future__ import annotations

from .loader import discover, display_path, load_desired, validate_files
from .numbers import explain as explain_number
from .numbers import is_us_long_code
from ..ids import SCHEMA_RESOURCE, schema

__all__ = [
    "SCHEMA_RESOURCE",
    "discover",
    "display_path",
    "explain_number",
    "is_us_long_code",
    "load_desired",
    "schema",
    "validate_files",
]
