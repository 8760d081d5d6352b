"""Canonical weights of frames sampled under a bias (SITS, ITS, metadynamics).

A frame sampled on ``U + Delta V`` at temperature ``T`` has canonical weight
``w_i proportional to exp(+beta Delta V_i)``, ``beta = 1/(k_B T)``; the
maximum bias is subtracted before exponentiating so that no weight overflows.
``<A> = sum_i w_i A_i`` and ``F(s) = -k_B T ln sum_{i in bin s} w_i`` follow.

Example:
    >>> w = reweight(np.array([0.0, 2.494]), 300.0)   # 1 kT apart
    >>> round(w[1] / w[0], 3)
    2.718
"""

from __future__ import annotations

import numpy as np

from sponge.quantities import BOLTZ


def reweight(bias_kj_per_mol, temperature: float) -> np.ndarray:
    """Normalised canonical weights ``(n_frames,)`` from per-frame biases.

    Args:
        bias_kj_per_mol: ``(n_frames,)`` ``Delta V = U_biased - U`` of each frame, kJ/mol
            (SITS's ``bias`` column; for metadynamics the bias minus ``c(t)``).
        temperature: the simulation temperature, K.

    Returns:
        weights summing to 1.

    Raises:
        ValueError: empty input, a non-finite bias (names the frame) or a
            non-positive temperature.
    """
    b = np.asarray(bias_kj_per_mol, dtype=np.float64).reshape(-1)
    if b.size == 0:
        raise ValueError("reweight: no frames")
    if not temperature > 0:
        raise ValueError(f"reweight: temperature must be > 0 K; got {temperature}")
    bad = np.flatnonzero(~np.isfinite(b))
    if bad.size:
        raise ValueError(f"reweight: the bias of frame {int(bad[0])} is {b[bad[0]]}")
    beta = 1.0 / (BOLTZ * float(temperature))
    w = np.exp(beta * (b - b.max()))
    return w / w.sum()
