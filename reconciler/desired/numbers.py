"""Is this a US 10DLC long code? Fast for the good ones, precise about the bad.

`is_us_long_code` is the hot path (about 0.4 µs): the string must be `+1` and
ten ASCII digits that match libphonenumber's own pattern for US fixed-line and
mobile numbers (the two are the same in the US metadata). That pattern already
excludes invalid NANP numbers (area code or exchange starting with 0 or 1),
unassigned area codes, Canadian and Caribbean area codes, toll-free (8XX),
premium-rate (900) and personal (5XX) numbers. Only a number that fails it
goes through `explain`, which parses it with `phonenumbers` (~20 µs) to say why.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import phonenumbers

from .wording import quoted

TOLL_FREE_AREA_CODES = frozenset({"800", "833", "844", "855", "866", "877", "888"})
EXAMPLE = "+13125550100"

_US = phonenumbers.PhoneMetadata.metadata_for_region("US")
assert _US is not None and _US.fixed_line is not None and _US.mobile is not None
_US_PATTERNS = [_US.fixed_line.national_number_pattern]
if _US.mobile.national_number_pattern not in _US_PATTERNS:  # identical in the US metadata
    _US_PATTERNS.append(_US.mobile.national_number_pattern)
_US_GEO = re.compile("|".join(f"(?:{p})" for p in _US_PATTERNS), re.ASCII)
# The whole rule in one expression, for the hot loop: `US_E164.fullmatch(s)`.
US_E164 = re.compile(f"\\+1(?:{_US_GEO.pattern})", re.ASCII)

_E164_NANP = re.compile(r"\+1[0-9]{10}", re.ASCII)
_SEPARATORS = re.compile(r"[\s\-.()/\u2010-\u2015\u2212]+")

_TYPE_NAMES = {
    phonenumbers.PhoneNumberType.TOLL_FREE: "a toll-free number",
    phonenumbers.PhoneNumberType.PREMIUM_RATE: "a premium-rate (900) number",
    phonenumbers.PhoneNumberType.PERSONAL_NUMBER: "a personal-communications (5XX) number",
    phonenumbers.PhoneNumberType.SHARED_COST: "a shared-cost number",
    phonenumbers.PhoneNumberType.VOIP: "a VoIP number",
    phonenumbers.PhoneNumberType.UAN: "a universal access number",
    phonenumbers.PhoneNumberType.PAGER: "a pager number",
    phonenumbers.PhoneNumberType.VOICEMAIL: "a voicemail access number",
}


def is_us_long_code(s: Any) -> bool:
    """True when `s` is a string holding a valid US 10DLC long code in E.164."""
    return type(s) is str and US_E164.fullmatch(s) is not None


@lru_cache(maxsize=1024)
def _area_code_region(npa: str) -> str | None:
    """The NANP region of an area code, from a few sample numbers in it."""
    for exchange in ("200", "555", "732", "949"):
        region = phonenumbers.region_code_for_number(phonenumbers.parse(f"+1{npa}{exchange}0123"))
        if region is not None:
            return region
    return None


def _suggest(text: str) -> str | None:
    """The E.164 form of a number written with spaces, dashes, dots or brackets."""
    digits = _SEPARATORS.sub("", text)
    if digits.startswith("+"):
        digits = digits[1:]
        if not (digits.startswith("1") and len(digits) == 11):
            return None
    if not digits.isascii() or not digits.isdigit():
        return None
    if len(digits) == 10:
        return "+1" + digits
    if len(digits) == 11 and digits.startswith("1"):
        return "+" + digits
    return None


def explain(value: Any, raw: str | None = None) -> str | None:
    """Why `value` is not a US 10DLC long code (None when it is one).

    `raw` is the YAML source text when YAML typed the value as something other
    than a string.
    """
    if is_us_long_code(value):
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        text = raw if raw is not None else str(value)
        fixed = _suggest(text) or _suggest(str(value))
        return f'YAML read this as a number; quote it: "{fixed or text}"'
    if not isinstance(value, str):
        from ._yaml import kind_of  # local: keeps this module free of YAML

        shown = f" ({raw})" if raw else ""
        return f'expected a phone number as a quoted string like "{EXAMPLE}", got {kind_of(value)}{shown}'
    if _E164_NANP.fullmatch(value) is None:
        fixed = _suggest(value)
        if fixed is None:
            return f'{quoted(value)} is not a phone number in E.164 form: "+1" and ten digits, like "{EXAMPLE}"'
        msg = f'{quoted(value)} is not in E.164 form; write it as "{fixed}" (no spaces, dashes or brackets)'
        if fixed != value:
            why = explain(fixed)
            if why is not None:
                msg += f"; even then: {why}"
        return msg
    return _explain_e164(value)




def _explain_e164(s: str) -> str:
    npa, nxx = s[2:5], s[5:8]
    if npa[0] in "01":
        return f"{s} is not a valid NANP number: the area code ({npa}) cannot start with {npa[0]}"
    if nxx[0] in "01":
        return f"{s} is not a valid NANP number: the exchange ({nxx}) cannot start with {nxx[0]}"
    if npa in TOLL_FREE_AREA_CODES:
        return f"{s} is a toll-free number ({npa}); 10DLC covers US local long codes only"
    number = phonenumbers.parse(s)
    region = phonenumbers.region_code_for_number(number) or _area_code_region(npa)
    if region is not None and region != "US":
        return f"{s} is not a US number: area code {npa} belongs to {region}"
    ntype = phonenumbers.number_type(number)
    if ntype in _TYPE_NAMES:
        return f"{s} is {_TYPE_NAMES[ntype]}, not a 10DLC long code"
    if region is None:
        return f"{s} is not a valid US number: area code {npa} is not in service"
    return f"{s} is not a valid US number (libphonenumber does not know exchange {npa}-{nxx})"
