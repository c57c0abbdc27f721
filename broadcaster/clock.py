"""Durations and times as the operator types them (SPEC §3): `30s`, `10m`, `1h30m`, `90`."""

from __future__ import annotations

import re

from broadcaster.model import OperatorError

# Operator-facing messages of this module, kept together for translation.
MSG_BAD_DURATION = "{value!r} is not a duration; write it like 30s, 10m, 1h30m or 90"

_DURATION = re.compile(r"^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s?)?$")
_UNITS = (3600.0, 60.0, 1.0)


def parse_duration(value: str) -> float:
    """Seconds in a duration such as `20s`, `1m30s`, `2h`, `45` (seconds)."""
    text = value.strip().lower().replace(" ", "")
    match = _DURATION.match(text)
    if not text or match is None or not any(match.groups()):
        raise OperatorError(MSG_BAD_DURATION.format(value=value))
    return sum(float(part) * unit for part, unit in zip(match.groups(), _UNITS, strict=True)
               if part)
