"""The installed slot playlists as the daemon keeps them: each occurrence goes into the
queue once, when its start comes within the lead (or at once when it is owed: after a
power cut, or a slot installed inside today's window)."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import TYPE_CHECKING

from broadcaster.schedule.slots import Occurrence, owed, upcoming

if TYPE_CHECKING:
    from broadcaster.model import Playlist
    from broadcaster.store import Store


class SlotQueue:
    def __init__(self, zone: tzinfo) -> None:
        self.zone = zone
        self._slots: list[tuple[str, Playlist, datetime]] = []
        self._queued: set[str] = set()  # occurrence keys known to be in the database

    def installed(self, rows: list[tuple[str, str, float]]) -> None:
        """The slots table as the store returned it: (name, playlist JSON, installed at)."""
        from broadcaster.store import playlist_from_json

        self._slots = [(name, playlist_from_json(text), datetime.fromtimestamp(at, self.zone))
                       for name, text, at in rows]

    def queue_owed(self, store: Store, moment: float, now: float) -> bool:
        """Queue every occurrence begun by `moment` and not queued before; True if any."""
        when = datetime.fromtimestamp(moment, self.zone)
        added = False
        for name, playlist, installed_at in self._slots:
            for occurrence in owed(name, playlist, when, installed_at):
                if occurrence.key in self._queued or store.has_occurrence(occurrence.key):
                    self._queued.add(occurrence.key)
                    continue
                queued = store.enqueue_occurrence(
                    name, occurrence=occurrence.key, title=playlist.title,
                    level=playlist.level, items=playlist.items,
                    due_at=occurrence.start.timestamp(), now=now,
                    expires_at=occurrence.expires.timestamp(),
                    hard_end=occurrence.hard_end.timestamp() if occurrence.hard_end else None,
                    zones=playlist.zones)
                self._queued.add(occurrence.key)
                added = added or queued is not None
        return added

    def ahead(self, now: float) -> list[tuple[Occurrence, Playlist]]:
        """Occurrences of the next 24 h not queued yet, for `status`."""
        when = datetime.fromtimestamp(now, self.zone)
        return [(found, playlist) for name, playlist, _ in self._slots
                for found in upcoming(name, playlist, when) if found.key not in self._queued]
