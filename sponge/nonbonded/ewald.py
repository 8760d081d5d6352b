"""Plain Ewald summation: reciprocal-space Coulomb energy and forces.

    E_rec = (1/(4 pi eps0)) (2 pi / V) sum_{k != 0} exp(-k^2 / (4 alpha^2)) / k^2 |S(k)|^2,
    S(k) = sum_i q_i exp(i k . r_i),

over wave vectors ``k = 2 pi (m_1 b1* + m_2 b2* + m_3 b3*)`` with
``|m_d| < kmax_d`` (OpenMM's ranges; ``b_d*`` are the reciprocal box vectors).
The sum runs over half of k-space and doubles, as OpenMM's Reference platform
does. Cost O(N K): meant for small systems and for checking PME.
Units: nm, kJ/mol, e.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from .parameters import ONE_4PI_EPS0


def half_space_vectors(kmax: tuple[int, int, int]) -> np.ndarray:
    """Integer ``(K, 3)`` index vectors m with m != 0, one of each +-m pair."""
    kx, ky, kz = kmax
    m = np.stack(
        np.meshgrid(np.arange(0, kx), np.arange(1 - ky, ky), np.arange(1 - kz, kz), indexing="ij"),
        axis=-1,
    ).reshape(-1, 3)
    keep = (
        (m[:, 0] > 0)
        | ((m[:, 0] == 0) & (m[:, 1] > 0))
        | ((m[:, 0] == 0) & (m[:, 1] == 0) & (m[:, 2] > 0))
    )
    return np.ascontiguousarray(m[keep], dtype=np.int64)


@njit(cache=True, parallel=True)
def _ewald_kernel(
    x: np.ndarray,
    q: np.ndarray,
    recip: np.ndarray,
    mvec: np.ndarray,
    kmax: np.ndarray,
    alpha: float,
    coeff: float,
    forces: np.ndarray,
) -> float:
    n = x.shape[0]
    nk = mvec.shape[0]
    kmx = max(kmax[0], max(kmax[1], kmax[2]))
    eik = np.empty((3, kmx, n), dtype=np.complex128)
    for i in prange(n):
        for d in range(3):
            s = x[i, 0] * recip[0, d] + x[i, 1] * recip[1, d] + x[i, 2] * recip[2, d]
            e1 = complex(math.cos(2 * math.pi * s), math.sin(2 * math.pi * s))
            eik[d, 0, i] = 1.0
            for m in range(1, kmax[d]):
                eik[d, m, i] = eik[d, m - 1, i] * e1
    kvec = np.empty((nk, 3))
    ak = np.empty(nk)
    cs = np.empty(nk)
    ss = np.empty(nk)
    fac = -1.0 / (4.0 * alpha * alpha)
    for k in prange(nk):
        for e in range(3):
            kvec[k, e] = (
                2
                * math.pi
                * (mvec[k, 0] * recip[e, 0] + mvec[k, 1] * recip[e, 1] + mvec[k, 2] * recip[e, 2])
            )
        k2 = kvec[k, 0] ** 2 + kvec[k, 1] ** 2 + kvec[k, 2] ** 2
        ak[k] = math.exp(k2 * fac) / k2
        c = 0.0
        sn = 0.0
        for i in range(n):
            t = q[i] * _phase(eik, mvec[k], i)
            c += t.real
            sn += t.imag
        cs[k] = c
        ss[k] = sn
    energy = 0.0
    for k in range(nk):
        energy += coeff * ak[k] * (cs[k] * cs[k] + ss[k] * ss[k])
    for i in prange(n):
        fx = 0.0
        fy = 0.0
        fz = 0.0
        for k in range(nk):
            t = q[i] * _phase(eik, mvec[k], i)
            f = 2.0 * coeff * ak[k] * (cs[k] * t.imag - ss[k] * t.real)
            fx += f * kvec[k, 0]
            fy += f * kvec[k, 1]
            fz += f * kvec[k, 2]
        forces[i, 0] = fx
        forces[i, 1] = fy
        forces[i, 2] = fz
    return energy


@njit(cache=True, inline="always")
def _phase(eik: np.ndarray, m: np.ndarray, i: int) -> complex:
    out = complex(1.0, 0.0)
    for d in range(3):
        md = m[d]
        if md >= 0:
            out *= eik[d, md, i]
        else:
            out *= eik[d, -md, i].conjugate()
    return out


class EwaldReciprocal:
    """Reciprocal-space Ewald sum for fixed charges.

    Args:
        charges: ``(n,)`` charges, e.
        alpha: splitting parameter, 1/nm.
        kmax: number of wave vectors per dimension (OpenMM's kmax, indices ``|m| < kmax``).
    """

    def __init__(self, charges: np.ndarray, alpha: float, kmax: tuple[int, int, int]) -> None:
        self.charges = np.ascontiguousarray(charges, dtype=np.float64)
        self.alpha = float(alpha)
        self.kmax = np.array(kmax, dtype=np.int64)
        if self.kmax.min() < 1:
            raise ValueError(f"Ewald kmax must be >= 1 in every dimension, got {tuple(kmax)}")
        self._m = half_space_vectors(tuple(self.kmax))

    def energy_forces(self, positions: np.ndarray, box: np.ndarray) -> tuple[float, np.ndarray]:
        """Energy (kJ/mol) and forces ``(n, 3)`` (kJ/mol/nm) for positions (nm) in a box (nm)."""
        x = np.ascontiguousarray(positions, dtype=np.float64)
        recip = np.ascontiguousarray(np.linalg.inv(box))
        vol = box[0, 0] * box[1, 1] * box[2, 2]
        coeff = ONE_4PI_EPS0 * 4.0 * math.pi / vol
        forces = np.empty_like(x)
        e = _ewald_kernel(x, self.charges, recip, self._m, self.kmax, self.alpha, coeff, forces)
        return float(e), forces
