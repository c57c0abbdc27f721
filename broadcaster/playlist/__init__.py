"""Playlist files (SPEC §5): read, checked and turned into a `model.Playlist`.

Every problem is one line `file:line: message` that says what to do (SPEC §8). Reading
a playlist changes nothing; PyYAML is imported only when one is read.
"""

from broadcaster.playlist.problems import PlaylistError, Problem
from broadcaster.playlist.reader import check_playlists, load_playlist, parse_playlist

__all__ = ["PlaylistError", "Problem", "check_playlists", "load_playlist", "parse_playlist"]
