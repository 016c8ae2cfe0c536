"""API watch: what the newest official `telnyx` SDK knows about our operations that the pinned one did not.

    python scripts/api_watch.py describe [--package telnyx] [--path DIR] > surface.json
    python scripts/api_watch.py compare PINNED.json NEWEST.json

`describe` runs inside the environment whose SDK it describes (the project's venv for the pinned
version, a throwaway venv for the newest: `make api-watch`) and prints, for every model of the
operations the reconciler calls (`WATCHED`), each field by its wire name: required or optional, its
type, and the enum values its annotation names (`Literal[...]`). `compare` prints what is new or
gone (modules, models, fields, required/optional, enum values) and exits 0 when nothing changed,
1 otherwise. Standard library only, plus whatever the SDK itself imports.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import json
import sys
import typing
from typing import Any

# The SDK modules (under PACKAGE.types) of every operation the reconciler calls (docs/architecture.md,
# "Inside live/"): request params and response models, and the enums they name.
WATCHED = (
    "messaging_10dlc.phone_number_campaign",
    "messaging_10dlc.phone_number_campaign_create_params",
    "messaging_10dlc.phone_number_campaign_list_params",
    "messaging_10dlc.phone_number_campaign_update_params",
    "messaging_10dlc.phone_number_assignment_by_profile_assign_params",
    "messaging_10dlc.phone_number_assignment_by_profile_assign_response",
    "messaging_10dlc.phone_number_assignment_by_profile_retrieve_status_response",
    "messaging_10dlc.phone_number_assignment_by_profile_list_phone_number_status_params",
    "messaging_10dlc.phone_number_assignment_by_profile_list_phone_number_status_response",
    "messaging_10dlc.profile_assignment_phone_numbers",
    "messaging_10dlc.task_status",
    "messaging_10dlc.telnyx_downstream_campaign",
    "messaging_10dlc.partner_campaign_list_params",
    "messaging_10dlc.partner_campaign_retrieve_sharing_status_response",
    "messaging_10dlc.campaign_sharing_status",
    "messaging_10dlc.brand_list_params",
    "messaging_10dlc.brand_list_response",
    "messaging_10dlc.campaign_list_params",
    "messaging_10dlc.campaign_list_response",
    "messaging_10dlc.telnyx_campaign_csp",
    "messaging_profile_list_params",
    "messaging_profile_retrieve_response",
    "messaging_profile_list_phone_numbers_params",
    "shared.phone_number_with_messaging_settings",
    "phone_numbers.messaging_list_params",
    "phone_numbers.messaging_retrieve_response",
    "phone_numbers.messaging_update_params",
    "phone_numbers.messaging_update_response",
    "messaging_numbers_bulk_update_create_params",
    "messaging_numbers_bulk_update_create_response",
    "messaging_numbers_bulk_update_retrieve_response",
)


def _literals(annotation: Any) -> list[Any]:
    """Every value a `Literal[...]` anywhere in the annotation names."""
    out: list[Any] = []
    origin = typing.get_origin(annotation)
    if origin is typing.Literal or getattr(origin, "__name__", "") == "Literal" or (
            origin is None and getattr(annotation, "__origin__", None) is not None
            and str(getattr(annotation, "__origin__", "")).endswith("Literal")):
        return [v for v in typing.get_args(annotation)]
    for arg in typing.get_args(annotation):
        out += _literals(arg)
    return out


def _type_name(annotation: Any) -> str:
    text = repr(annotation) if not isinstance(annotation, type) else annotation.__name__
    for noise in ("typing_extensions.", "typing.", "telnyx.types.", "builtins."):
        text = text.replace(noise, "")
    return text


def _alias(annotation: Any) -> str | None:
    """A TypedDict key's wire name (the SDK's PropertyInfo(alias=...) in Annotated metadata)."""
    for meta in getattr(annotation, "__metadata__", ()):
        alias = getattr(meta, "alias", None)
        if isinstance(alias, str):
            return alias
    return None


def _is_typeddict_ext(cls: type) -> bool:
    try:
        import typing_extensions
    except ImportError:
        return False
    return bool(typing_extensions.is_typeddict(cls))


def _describe_class(cls: type) -> dict[str, Any] | None:
    fields: dict[str, Any] = {}
    model_fields = getattr(cls, "model_fields", None)
    if isinstance(model_fields, dict) and model_fields:  # pydantic v2
        for name, f in model_fields.items():
            wire = f.alias or name
            fields[wire] = {"required": bool(f.is_required()), "type": _type_name(f.annotation),
                            "enum": sorted(map(str, _literals(f.annotation)))}
        return {"kind": "model", "fields": fields}
    if typing.is_typeddict(cls) or _is_typeddict_ext(cls):
        try:
            hints = typing.get_type_hints(cls, include_extras=True)
        except Exception:  # a forward reference the SDK resolves lazily: the raw annotations still name the keys
            hints = dict(getattr(cls, "__annotations__", {}))
        required = getattr(cls, "__required_keys__", frozenset())
        for name, annotation in hints.items():
            wire = _alias(annotation) or name
            fields[wire] = {"required": name in required, "type": _type_name(annotation),
                            "enum": sorted(map(str, _literals(annotation)))}
        return {"kind": "params", "fields": fields}
    return None


def describe(package: str = "telnyx", modules: tuple[str, ...] = WATCHED) -> dict[str, Any]:
    """{"version": ..., "models": {"module:Class": {...}}, "enums": {"module:Name": [...]}, "missing": [...]}."""
    surface: dict[str, Any] = {"package": package, "version": None, "models": {}, "enums": {}, "missing": []}
    try:
        surface["version"] = getattr(importlib.import_module(package), "__version__", None)
    except ImportError:
        pass
    for rel in modules:
        name = f"{package}.types.{rel}"
        try:
            mod = importlib.import_module(name)
        except ImportError:
            surface["missing"].append(rel)
            continue
        for attr, value in sorted(vars(mod).items()):
            if inspect.isclass(value) and value.__module__ == name:
                described = _describe_class(value)
                if described is not None:
                    surface["models"][f"{rel}:{attr}"] = described
            elif not attr.startswith("_") and not inspect.isclass(value) and not inspect.ismodule(value):
                values = _literals(value)
                if values:
                    surface["enums"][f"{rel}:{attr}"] = sorted(map(str, values))
    return surface


def compare(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """What is new (+), gone (-) or changed (~) from `old` to `new`, one line each."""
    lines: list[str] = []
    for rel in sorted(set(new["missing"]) - set(old["missing"])):
        lines.append(f"- module {rel}")
    for rel in sorted(set(old["missing"]) - set(new["missing"])):
        lines.append(f"+ module {rel}")
    for key in sorted(set(old["enums"]) | set(new["enums"])):
        a, b = old["enums"].get(key), new["enums"].get(key)
        if a is None:
            lines.append(f"+ enum {key}: {', '.join(b)}")
        elif b is None:
            lines.append(f"- enum {key}")
        else:
            lines += [f"+ enum value {key}: {v}" for v in b if v not in a]
            lines += [f"- enum value {key}: {v}" for v in a if v not in b]
    for key in sorted(set(old["models"]) | set(new["models"])):
        a, b = old["models"].get(key), new["models"].get(key)
        if a is None:
            lines.append(f"+ model {key} ({', '.join(b['fields'])})")
            continue
        if b is None:
            lines.append(f"- model {key}")
            continue
        fa, fb = a["fields"], b["fields"]
        for f in fb:
            if f not in fa:
                lines.append(f"+ field {key}.{f} ({'required' if fb[f]['required'] else 'optional'}, "
                             f"{fb[f]['type']})")
        for f in fa:
            if f not in fb:
                lines.append(f"- field {key}.{f}")
        for f in fa:
            if f not in fb:
                continue
            if fa[f]["required"] != fb[f]["required"]:
                lines.append(f"~ field {key}.{f}: now {'required' if fb[f]['required'] else 'optional'}")
            lines += [f"+ enum value {key}.{f}: {v}" for v in fb[f]["enum"] if v not in fa[f]["enum"]]
            lines += [f"- enum value {key}.{f}: {v}" for v in fa[f]["enum"] if v not in fb[f]["enum"]]
            if not fa[f]["enum"] and not fb[f]["enum"] and fa[f]["type"] != fb[f]["type"]:
                lines.append(f"~ field {key}.{f}: type {fa[f]['type']} → {fb[f]['type']}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    d = sub.add_parser("describe", help="print the SDK's surface for our operations as JSON")
    d.add_argument("--package", default="telnyx")
    d.add_argument("--path", action="append", default=[], help="put DIR first on sys.path (a fake SDK, in tests)")
    c = sub.add_parser("compare", help="what is new or gone from PINNED to NEWEST; exit 1 if anything")
    c.add_argument("pinned")
    c.add_argument("newest")
    args = parser.parse_args(argv)
    if args.command == "describe":
        sys.path[:0] = args.path
        surface = describe(args.package)
        if surface["version"] in ("4.87.1", "4.87.2"):
            print("refusing to describe telnyx 4.87.1/4.87.2 (malicious releases)", file=sys.stderr)
            return 2
        json.dump(surface, sys.stdout, indent=2, sort_keys=True)
        print()
        return 0
    with open(args.pinned, encoding="utf-8") as fh:
        old = json.load(fh)
    with open(args.newest, encoding="utf-8") as fh:
        new = json.load(fh)
    lines = compare(old, new)
    watched = len(WATCHED)
    head = f"telnyx {old.get('version')} (pinned) → {new.get('version')} (newest): {watched} modules of our operations"
    if not lines:
        print(f"{head}: nothing new or gone")
        return 0
    print(f"{head}: {len(lines)} change{'s' * (len(lines) != 1)}")
    for line in lines:
        print(f"  {line}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
