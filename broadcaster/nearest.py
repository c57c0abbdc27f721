"""An unknown key answered with the valid key the operator most likely meant.

The config file and the playlist files both say it the same way: "did you mean …?",
else the list of valid keys.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence

from broadcaster.i18n import N_, _

# Operator-facing messages of this module, kept together for translation.
MSG_DID_YOU_MEAN = N_("; did you mean '{suggestion}'?")
MSG_VALID_KEYS = N_("; valid keys: {keys}")

# difflib's own default: 'tittle' → 'title', but no guess between unrelated words.
_CUTOFF = 0.6


def nearest_key(key: str, valid: Sequence[str]) -> str | None:
    """The valid key the operator most likely meant by `key`, or None when none is close."""
    close = difflib.get_close_matches(key, valid, n=1, cutoff=_CUTOFF)
    return close[0] if close else None


def did_you_mean(key: str, valid: Sequence[str]) -> str:
    """The end of an unknown-key message: "; did you mean 'title'?" when a valid key is
    close to `key`, else "; valid keys: title, items, …" (in the order of `valid`)."""
    suggestion = nearest_key(key, valid)
    if suggestion is not None:
        return _(MSG_DID_YOU_MEAN).format(suggestion=suggestion)
    return _(MSG_VALID_KEYS).format(keys=", ".join(valid))
