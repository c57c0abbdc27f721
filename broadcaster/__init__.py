"""broadcaster: the software of a Vietnamese commune loudspeaker station (đài truyền thanh cơ sở)."""

__version__ = "0.1.0"
