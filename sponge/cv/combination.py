"""Linear combination of CVs: ``s = offset + sum_k c_k s_k``.

The gradient is ``sum_k c_k ds_k/dx``. Components that are periodic enter
with their own wrapped values; the combination is declared periodic only when
the caller gives a ``period`` (e.g. ``phi - psi`` with period ``2 pi``), in
which case the value is wrapped into ``[-period/2, period/2)``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from sponge.cv.base import CollectiveVariable, periodic_difference


class LinearCombination(CollectiveVariable):
    """``offset + sum_k coefficients[k] * cvs[k]``.

    Args:
        cvs: component CVs.
        coefficients: one number per CV (default all 1).
        offset: constant added.
        period: declare the result periodic with this period (wrapped into
            ``[-period/2, period/2)``); None for a non-periodic combination.
        name: label.
    """

    def __init__(self, cvs: Sequence[CollectiveVariable],
                 coefficients: Sequence[float] | None = None, offset: float = 0.0,
                 period: float | None = None, name: str = "lincomb") -> None:
        self.cvs = list(cvs)
        if not self.cvs:
            raise ValueError("LinearCombination: no CVs given")
        c = np.ones(len(self.cvs)) if coefficients is None else np.asarray(coefficients, float)
        if c.shape != (len(self.cvs),):
            raise ValueError(f"LinearCombination: {len(self.cvs)} CVs but coefficients of "
                             f"shape {c.shape}")
        self.coefficients = c
        self.offset = float(offset)
        self.atoms = np.unique(np.concatenate([cv.atoms for cv in self.cvs]))
        self._slots = [np.searchsorted(self.atoms, cv.atoms) for cv in self.cvs]
        if period is not None:
            self.periodic = True
            self.period = float(period)
            self.bounds = (-self.period / 2, self.period / 2)
        self.units = self.cvs[0].units
        self.name = name

    def local(self, positions, box=None):
        total = self.offset
        grad = np.zeros((len(self.atoms), 3))
        for cv, ck, slot in zip(self.cvs, self.coefficients, self._slots, strict=True):
            s, g = cv.local(positions, box)
            total += ck * s
            np.add.at(grad, slot, ck * g)
        if self.period is not None:
            total = float(periodic_difference(total, 0.0, self.period))
        return float(total), grad
