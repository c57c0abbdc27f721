"""Notices rendered for **Nghe thử** (listen first), served to the browser that asked.

A preview is the notice read once after the chime, rendered by the same worker the daemon
uses (so it sounds as it will on air) into the speech cache. The browser gets a random
token, never a path; the latest few tokens are kept.
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from pathlib import Path

KEEP = 32


class Previews:
    """Token → rendered WAV, the latest KEEP of them (shared by the worker threads)."""

    def __init__(self) -> None:
        self._files: OrderedDict[str, Path] = OrderedDict()
        self._lock = threading.Lock()

    def add(self, path: Path) -> str:
        token = secrets.token_urlsafe(16)
        with self._lock:
            self._files[token] = path
            while len(self._files) > KEEP:
                self._files.popitem(last=False)
        return token

    def get(self, token: str) -> Path | None:
        with self._lock:
            return self._files.get(token)
