"""String ``format``s: the ones a grammar spells out, and the checker validation uses.

``date``, ``time``, ``date-time`` (RFC 3339, with its offset: ``Z`` or
``+09:00``) and ``uuid`` have a fixed shape, so the grammar writes them and the
checker confirms what a shape cannot (February 30th). Others are checked only
after decoding: ``email`` and ``idn-email``, ``ipv4``, ``ipv6``, ``hostname``,
``uri``, ``duration`` (ISO 8601, as pydantic writes a ``timedelta``) and
``regex``. jsonschema checks some formats only when optional packages are
installed (``date-time`` needs ``rfc3339-validator``); lamp adds its own for
those, so every answer is checked the same way on every machine. Any other
format is an annotation, as JSON Schema 2020-12 has it: neither enforced nor
checked.
"""

from __future__ import annotations

import datetime
import ipaddress
import re
from typing import Any

__all__ = ["GRAMMAR_FORMATS", "format_checker"]

_DATE = ('[0-9]{4} "-" ( "0" [1-9] | "1" [0-2] ) "-" '
         '( "0" [1-9] | [12] [0-9] | "3" [01] )')
_TIME = ('( [01] [0-9] | "2" [0-3] ) ":" [0-5] [0-9] ":" [0-5] [0-9] ( "." [0-9]{1,6} )? '
         '( "Z" | [+-] ( [01] [0-9] | "2" [0-3] ) ":" [0-5] [0-9] )')
_HEX = "[0-9a-fA-F]"
GRAMMAR_FORMATS = {
    "date": _DATE,
    "time": _TIME,
    "date-time": f'{_DATE} "T" {_TIME}',
    "uuid": ' "-" '.join(f"{_HEX}{{{n}}}" for n in (8, 4, 4, 4, 12)),
}
"""GBNF for the inside of a string of each enforced format."""

_RFC3339_TIME = re.compile(
    r"(?P<h>\d\d):(?P<m>\d\d):(?P<s>\d\d)(?:\.\d+)?(?:[Zz]|[+-](?P<oh>\d\d):(?P<om>\d\d))\Z")
_RFC3339_DATE = re.compile(r"(?P<y>\d{4})-(?P<mo>\d\d)-(?P<d>\d\d)\Z")
_DURATION = re.compile(r"P(?!\Z)(?:\d+(?:\.\d+)?Y)?(?:\d+(?:\.\d+)?M)?(?:\d+(?:\.\d+)?W)?"
                       r"(?:\d+(?:\.\d+)?D)?(?:T(?=\d)(?:\d+(?:\.\d+)?H)?(?:\d+(?:\.\d+)?M)?"
                       r"(?:\d+(?:\.\d+)?S)?)?\Z")
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`]*\Z")
_LABEL = r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)"
_HOSTNAME = re.compile(rf"(?=.{{1,253}}\.?\Z){_LABEL}(?:\.{_LABEL})*\.?\Z")


def _is_date(value: Any) -> bool:
    if not isinstance(value, str):
        return True
    match = _RFC3339_DATE.match(value)
    if match is None:
        return False
    try:
        datetime.date(int(match["y"]), int(match["mo"]), int(match["d"]))
    except ValueError:
        return False
    return True


def _is_time(value: Any) -> bool:
    if not isinstance(value, str):
        return True
    match = _RFC3339_TIME.match(value)
    if match is None:
        return False
    hour, minute, second = int(match["h"]), int(match["m"]), int(match["s"])
    offset_ok = match["oh"] is None or (int(match["oh"]) < 24 and int(match["om"]) < 60)
    return hour < 24 and minute < 60 and second < 61 and offset_ok


def _is_date_time(value: Any) -> bool:
    if not isinstance(value, str):
        return True
    date, sep, time = value.partition("T") if "T" in value else value.partition("t")
    return bool(sep) and _is_date(date) and _is_time(time)


def _matches(pattern: re.Pattern[str]) -> Any:
    return lambda value: not isinstance(value, str) or pattern.match(value) is not None


def _is_ip(kind: type) -> Any:
    def check(value: Any) -> bool:
        if not isinstance(value, str):
            return True
        try:
            kind(value)
        except ValueError:
            return False
        return True
    return check


def format_checker() -> Any:
    """jsonschema's checker with every format it can check here, and lamp's own for the
    formats it would check only with optional packages installed."""
    from jsonschema import FormatChecker

    checker = FormatChecker()  # its own copy of the registered checkers
    own = {"date": _is_date, "time": _is_time, "date-time": _is_date_time,
           "duration": _matches(_DURATION), "uri": _matches(_URI),
           "hostname": _matches(_HOSTNAME), "ipv4": _is_ip(ipaddress.IPv4Address),
           "ipv6": _is_ip(ipaddress.IPv6Address)}
    for name, check in own.items():
        checker.checks(name)(check)
    return checker
