"""Biquad-cascade (IIR) filters in numpy alone: the BS.1770 K-weighting and the horn speech
band, designed here and run a block at a time, so a render never imports scipy (its
import alone costs a render worker over a second and ~75 MB).

`SosFilter` gives what `scipy.signal.sosfilt` gives (to float rounding, ~1e-12), not an
approximation: the cascade is one linear state-space system, and a stretch of L samples
is its zero-state response (the input times the L×L matrix of its first L impulse-response
samples) plus the response to the state the stretch starts in. The stretches' starting
states follow from one another (a scan), done as matrix products too, sixteen stretches
at a time then across the sixteens: 256 stretches take a few numpy calls, and the filter
runs as fast as sosfilt here (~0.6 s per hour of 22,050 Hz audio for the speech band).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import numpy.typing as npt

    Floats = npt.NDArray[np.float64]

STRETCH = 32  # samples per stretch
# Stretches done together: GROUP² of them. GROUP² × STRETCH² ≤ 262,144 keeps each matrix
# product on one OpenBLAS thread: more threads cost more than they save at these sizes, and
# would take the player's cores.
GROUP = 16
# Smaller magnitudes are taken as 0: 1e-200 of a sample is nothing a float64 can hold beside
# it, and subnormal numbers (a state decayed in silence) are ~100x slower to multiply.
_NEGLIGIBLE = 1e-200


class SosFilter:
    """A cascade of biquads fed a block at a time, as `sosfilt(sos, x, zi=state)` would
    filter it: rows of `sos` are b0, b1, b2, a0, a1, a2, starting at rest.

    Calling it with consecutive blocks gives, joined, what the whole signal would give.
    Output is float64 whatever the input's type.
    """

    def __init__(self, sos: npt.ArrayLike, stretch: int = STRETCH, group: int = GROUP) -> None:
        a, b, c, d = _state_space(np.asarray(sos, dtype=np.float64))
        self._stretch, self._group = stretch, group
        # states are rows: state @ steps[k] is A^k state
        self._steps = np.array([np.linalg.matrix_power(a, k).T for k in range(stretch + 1)])
        observe = self._steps[:stretch] @ c  # c A^k: what the starting state gives at sample k
        self._observe = observe.T.copy()
        self._drive = (b @ self._steps[stretch - 1::-1]).copy()  # A^(L-1-j) b: what x[j] leaves
        impulse = np.concatenate([[d], observe[:-1] @ b])
        lag = np.arange(stretch)[None, :] - np.arange(stretch)[:, None]
        self._response = np.where(lag >= 0, impulse[np.maximum(lag, 0)], 0.0)  # x @ it: y
        # the states at the ends of stretches, scanned a group of stretches at a time
        self._leap = _negligible_zeroed(self._steps[stretch].copy())  # over one stretch
        self._within = _scan_matrix(self._leap, group)
        self._across = _scan_matrix(_negligible_zeroed(
            np.linalg.matrix_power(self._leap, group)), group)
        # [leap¹ … leap^group]: what the state entering a group is at each of its stretches' ends
        self._carry = _scan_matrix(self._leap, group + 1)[:a.shape[0], a.shape[0]:].copy()
        self._state = np.zeros(a.shape[0])

    def __call__(self, block: npt.ArrayLike) -> Floats:
        x = np.asarray(block, dtype=np.float64).ravel()
        out = np.empty(x.size)
        span = self._group**2 * self._stretch
        for start in range(0, x.size, span):
            out[start:start + span] = self._stretches(x[start:start + span])
        return out

    def _stretches(self, x: Floats) -> Floats:
        stretch = self._stretch
        count = -(-x.size // stretch)
        chunks = np.zeros((count, stretch))
        chunks.ravel()[:x.size] = x  # the last stretch padded with silence: it comes after
        # the state at the end of each stretch, ends[k] = A^L ends[k-1] + pushes[k] (what
        # its samples leave): within each group of stretches, then carried across groups
        order, group = self._state.size, self._group
        groups = -(-count // group)
        pushes = np.zeros((groups * group, order))
        pushes[:count] = chunks @ self._drive
        pushes[0] += self._state @ self._leap
        ends = pushes.reshape(groups, group * order) @ self._within
        size = groups * order
        carried = ends[:, -order:].reshape(1, size) @ self._across[:size, :size]
        ends[1:] += carried.reshape(groups, order)[:-1] @ self._carry
        starts = np.vstack([self._state, ends.reshape(-1, order)[:count - 1]])
        tail = x[(count - 1) * stretch:]
        self._state = _negligible_zeroed(starts[-1] @ self._steps[tail.size]
                                         + tail @ self._drive[stretch - tail.size:])
        y = chunks @ self._response + starts @ self._observe
        return y.ravel()[:x.size]


def _scan_matrix(step: Floats, count: int) -> Floats:
    """The matrix M that takes rows v_0 … v_(count-1), side by side, to e_0 … e_(count-1)
    with e_i = Σ_(j ≤ i) v_j step^(i-j): the scan e_i = e_(i-1) step + v_i, as one product."""
    order = step.shape[0]
    power = np.eye(order)
    scan = np.zeros((count * order, count * order))
    for lag in range(count):
        for j in range(count - lag):
            scan[j * order:(j + 1) * order, (j + lag) * order:(j + lag + 1) * order] = power
        power = _negligible_zeroed(power @ step)
    return scan


def _negligible_zeroed(values: Floats) -> Floats:
    values[np.abs(values) < _NEGLIGIBLE] = 0.0
    return values


def _state_space(sos: Floats) -> tuple[Floats, Floats, Floats, float]:
    """(A, B, C, D) of the cascade: each biquad in transposed direct form II (its two
    delays are its state, as in scipy's zi), fed the output of the one before."""
    a = np.zeros((0, 0))
    b = np.zeros(0)
    c = np.zeros(0)
    d = 1.0
    for b0, b1, b2, _a0, a1, a2 in sos / sos[:, 3:4]:  # a0 is 1 once divided
        sec_a = np.array([[-a1, 1.0], [-a2, 0.0]])
        sec_b = np.array([b1 - a1 * b0, b2 - a2 * b0])
        n = a.shape[0]
        grown = np.zeros((n + 2, n + 2))
        grown[:n, :n] = a
        grown[n:, :n] = np.outer(sec_b, c)
        grown[n:, n:] = sec_a
        a = grown
        b = np.concatenate([b, sec_b * d])
        c = np.concatenate([b0 * c, [1.0, 0.0]])
        d = b0 * d
    return a, b, c, d


def k_weighting(rate: int) -> Floats:
    """BS.1770 K-weighting as two biquads (sos rows), computed as pyloudnorm computes them:
    its RBJ-cookbook high shelf (+4 dB, Q 1/√2, 1500 Hz) then high pass (Q 0.5, 38 Hz)."""

    def biquad(gain_db: float, q: float, fc: float, shelf: bool) -> list[float]:
        big_a = 10 ** (gain_db / 40.0)
        w0 = 2.0 * math.pi * (fc / rate)
        alpha = math.sin(w0) / (2.0 * q)
        cos = math.cos(w0)
        if shelf:
            root = 2 * math.sqrt(big_a) * alpha
            b = [big_a * ((big_a + 1) + (big_a - 1) * cos + root),
                 -2 * big_a * ((big_a - 1) + (big_a + 1) * cos),
                 big_a * ((big_a + 1) + (big_a - 1) * cos - root)]
            a = [(big_a + 1) - (big_a - 1) * cos + root,
                 2 * ((big_a - 1) - (big_a + 1) * cos),
                 (big_a + 1) - (big_a - 1) * cos - root]
        else:
            b = [(1 + cos) / 2, -(1 + cos), (1 + cos) / 2]
            a = [1 + alpha, -2 * cos, 1 - alpha]
        return [value / a[0] for value in (*b, *a)]

    return np.array([biquad(4.0, 1 / math.sqrt(2), 1500.0, shelf=True),
                     biquad(0.0, 0.5, 38.0, shelf=False)])


def butterworth_band(order: int, low_hz: float, high_hz: float, rate: int) -> Floats:
    """The Butterworth band pass of `scipy.signal.butter(order, [low_hz, high_hz],
    "bandpass", fs=rate, output="sos")`, designed the same way (analog prototype, low-pass
    to band-pass, bilinear transform with prewarped edges): `order` biquads, the same
    poles, zeros and gain, the sections arranged as high passes then low passes."""
    # the analog prototype's poles, on the unit circle's left half (no zeros), gain 1
    prototype = -np.exp(1j * np.pi * np.arange(-order + 1, order, 2) / (2 * order))
    fs = 2.0  # scipy designs at a normalized rate of 2 (edges as fractions of Nyquist)
    low, high = (2 * fs * math.tan(math.pi * edge / rate) for edge in (low_hz, high_hz))
    width, centre = high - low, math.sqrt(low * high)
    scaled = prototype * width / 2
    shift = np.sqrt(scaled**2 - centre**2)
    analog = np.concatenate([scaled + shift, scaled - shift])  # `order` zeros at s = 0
    poles = (2 * fs + analog) / (2 * fs - analog)  # the zeros land at z = 1 and z = -1
    gain = width**order * float(np.real((2 * fs) ** order / np.prod(2 * fs - analog)))
    upper = sorted(poles[poles.imag > 0], key=lambda pole: abs(np.angle(pole)))
    sections = []
    for index, pole in enumerate(upper):
        zero_sign = -1.0 if index < order // 2 else 1.0  # double zero at z = 1, then at z = -1
        sections.append([1.0, 2 * zero_sign, 1.0, 1.0, -2 * pole.real, abs(pole) ** 2])
    sos = np.array(sections)
    sos[0, :3] *= gain
    return sos
