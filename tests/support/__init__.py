"""Shared test helpers: a station on disk, the CLI as a user runs it, audio measurements."""
