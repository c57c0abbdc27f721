"""Dead air: a long silence on the loudspeakers while an item should be sounding.

Checked on the very blocks handed to the device, so it catches a silent file, a
relay fallback that failed, or a stuck decoder alike. Pauses are exempt.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from broadcaster.air.sources import Samples

THRESHOLD_DBFS = -50.0
LIMIT_S = 10.0


class DeadAirCheck:
    """Counts consecutive silent frames; says so once per silence longer than `limit_s`."""

    def __init__(self, sample_rate: int, *, threshold_dbfs: float = THRESHOLD_DBFS,
                 limit_s: float = LIMIT_S) -> None:
        threshold = 10 ** (threshold_dbfs / 20)  # as an RMS amplitude, full scale 1.0
        # as a mean square, for float and for 16-bit samples (full scale 32768)
        self._floor = {"f": threshold ** 2, "i": (threshold * 32768) ** 2}
        self._limit = round(limit_s * sample_rate)
        self._silent = 0
        self._reported = False

    def reset(self) -> None:
        """A new item (or a pause) starts: forget the silence so far."""
        self._silent = 0
        self._reported = False

    def feed(self, block: Samples, *, exempt: bool = False) -> bool:
        """True exactly when this block makes the silence longer than the limit."""
        import numpy as np

        if exempt or len(block) == 0:
            self.reset()
            return False
        flat = block.reshape(-1).astype(np.float32, copy=False)
        if float(np.dot(flat, flat)) >= self._floor[block.dtype.kind] * flat.size:
            self.reset()
            return False
        self._silent += len(block)
        if self._silent > self._limit and not self._reported:
            self._reported = True
            return True
        return False

    @property
    def silent_frames(self) -> int:
        """Frames of the current silence."""
        return self._silent
