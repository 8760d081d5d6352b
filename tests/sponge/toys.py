"""Tiny analytic force terms for enhanced-sampling tests (one particle, double well)."""

from __future__ import annotations

import numpy as np

from sponge.quantities import BOLTZ

T = 300.0
KT = BOLTZ * T


class DoubleWell:
    """``U = barrier ((x/a)^2 - 1)^2 + k (y^2 + z^2) / 2`` on atom 0 (kJ/mol, nm)."""

    name = "double_well"

    def __init__(self, barrier: float, a: float, k: float = 2000.0) -> None:
        self.barrier, self.a, self.k = barrier, a, k

    def pmf(self, x):
        """The exact PMF of x (kJ/mol): the x part of U."""
        return self.barrier * ((np.asarray(x) / self.a) ** 2 - 1.0) ** 2

    def energy_forces(self, pos, box=None):
        x, y, z = pos[0]
        q = (x / self.a) ** 2 - 1.0
        f = np.zeros((len(pos), 3))
        f[0, 0] = -4.0 * self.barrier * q * x / self.a**2
        f[0, 1] = -self.k * y
        f[0, 2] = -self.k * z
        return float(self.barrier * q * q + 0.5 * self.k * (y * y + z * z)), f

    def energy(self, pos, box=None):
        return self.energy_forces(pos)[0]

    def energy_components(self, pos, box=None):
        return {self.name: self.energy(pos)}


def bin_pmf(pmf_fn, edges, kt=KT, n=50):
    """Exact bin-averaged PMF ``-kT ln int_bin exp(-F/kT)`` (min 0)."""
    out = []
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        x = np.linspace(lo, hi, n)
        out.append(-kt * np.log(np.mean(np.exp(-pmf_fn(x) / kt))))
    out = np.array(out)
    return out - out.min()


def aligned_deviation(f, ref, mask):
    """max |f - ref - c| over ``mask`` with the constant c that centres the difference."""
    d = (np.asarray(f) - np.asarray(ref))[mask]
    return float(np.abs(d - d.mean()).max())
