"""Timestamps for `bench_emergency --split`, loaded (PYTHONPATH) into the `say` process and
the daemon only by that benchmark: nothing of the product writes them.

It wraps, after their modules load, `runtime.poke_daemon` (the CLI has committed and pokes),
`Station._handle` of a `Look` (the station thread woke on the poke) and `Player.play` of an
emergency (the request handed to the player), appending "epoch-seconds what id" lines to
$BENCH_EMERGENCY_PROBE. A name that is gone is skipped: that part of the split is then
missing, never wrong.
"""

from __future__ import annotations

import os
import sys
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # nothing more imported: the probe must not slow the `say` it times
    from collections.abc import Callable, Sequence
    from importlib.machinery import ModuleSpec
    from types import ModuleType

LOG = os.environ.get("BENCH_EMERGENCY_PROBE")


def _note(what: str, ident: object = "-") -> None:
    if LOG:
        line = f"{time.time():.6f} {what} {ident}\n".encode()
        fd = os.open(LOG, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line)
        finally:
            os.close(fd)


def _after(original: Callable[..., Any], note: Callable[..., None]) -> Callable[..., Any]:
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        result = original(*args, **kwargs)
        note(*args, **kwargs)
        return result
    return wrapped


def _before(original: Callable[..., Any], note: Callable[..., None]) -> Callable[..., Any]:
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        note(*args, **kwargs)
        return original(*args, **kwargs)
    return wrapped


def _patch(module: ModuleType) -> None:
    name = module.__name__
    if name == "broadcaster.runtime" and hasattr(module, "poke_daemon"):
        setattr(module, "poke_daemon",  # noqa: B010  # a module's function replaced
                _after(module.poke_daemon, lambda *a, **k: _note("poke")))
    elif name == "broadcaster.station" and hasattr(module, "Station"):
        def woke(_self: Any, message: Any, *a: Any, **k: Any) -> None:
            if type(message).__name__ == "Look":
                _note("wake")
        module.Station._handle = _before(module.Station._handle, woke)
    elif name == "broadcaster.air.player" and hasattr(module, "Player"):
        def requested(_self: Any, _source: Any, level: Any = None, item_id: Any = None,
                      *a: Any, **k: Any) -> None:
            if getattr(level, "value", level) == "emergency":
                _note("request", item_id)
        module.Player.play = _before(module.Player.play, requested)


class _Finder:
    """Finds the three modules as the other finders do, and patches each once loaded."""

    NAMES = ("broadcaster.runtime", "broadcaster.station", "broadcaster.air.player")

    def find_spec(self, fullname: str, path: Sequence[str] | None,
                  target: ModuleType | None = None) -> ModuleSpec | None:
        if fullname not in self.NAMES:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None and spec.loader is not None and hasattr(spec.loader,
                                                                         "exec_module"):
                execute = spec.loader.exec_module

                def exec_module(module: ModuleType, execute: Any = execute) -> None:
                    execute(module)
                    _patch(module)
                spec.loader.exec_module = exec_module  # type: ignore[method-assign]  # the probe
                return spec
            if spec is not None:
                return spec
        return None


if LOG:
    sys.meta_path.insert(0, _Finder())
