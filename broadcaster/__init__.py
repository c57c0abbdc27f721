"""broadcaster: the software of a Vietnamese commune loudspeaker station."""

__version__ = "0.1.0"
