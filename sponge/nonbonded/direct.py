"""Direct-space pair kernels: Lennard-Jones + Coulomb, exceptions, Ewald exclusions.

Per-pair formulas (``k = 1/(4 pi eps0)``, ``r`` in nm, energies kJ/mol):

- Lennard-Jones, Lorentz-Berthelot: ``4 eps_ij ((s/r)^12 - (s/r)^6)`` with
  ``s = (s_i + s_j)/2``, ``eps_ij = sqrt(eps_i eps_j)``; optionally multiplied by
  the switch ``S(t) = 1 - 10 t^3 + 15 t^4 - 6 t^5``,
  ``t = (r - r_sw)/(r_c - r_sw)`` for ``r > r_sw``;
- Coulomb, by ``mode``: 0 plain ``k q_i q_j / r``; 1 reaction field
  ``k q_i q_j (1/r + k_rf r^2 - c_rf)``; 2 Ewald real space
  ``k q_i q_j erfc(alpha r)/r``;
- exceptions (1-4 pairs): plain ``k q_ij / r`` and ``4 eps_ij (...)`` with their
  own parameters, no cutoff;
- Ewald/PME exclusion correction for every exception pair:
  ``-k q_i q_j erf(alpha r)/r`` (limit ``-k q_i q_j 2 alpha/sqrt(pi)`` at r -> 0).

The pair kernel walks a CSR neighbour list (see :mod:`sponge.neighbor_list`)
and is fused: one pass returns LJ energy, Coulomb energy and forces. It runs in
parallel over chunks of atoms balanced by pair count, each chunk writing its own
force buffer (no atomics), reduced at the end. It is compiled for float64 and,
when given float32 arrays, for float32 (energies are always summed in float64).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from ..neighbor_list import minimum_image_pair

MODE_PLAIN = 0
MODE_REACTION_FIELD = 1
MODE_EWALD = 2

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


def chunk_bounds(offsets: np.ndarray, n_chunks: int) -> np.ndarray:
    """Atom-index boundaries ``(n_chunks + 1,)`` splitting a CSR list into equal pair counts."""
    total = offsets[-1]
    targets = np.linspace(0, total, n_chunks + 1)
    b = np.searchsorted(offsets, targets, side="left").astype(np.int64)
    b[0] = 0
    b[-1] = len(offsets) - 1
    return np.maximum.accumulate(b)


@njit(cache=True, parallel=True, fastmath=True)
def pair_kernel(
    x: np.ndarray,
    q: np.ndarray,
    half_sig: np.ndarray,
    two_sqrt_eps: np.ndarray,
    offsets: np.ndarray,
    nbr: np.ndarray,
    bounds: np.ndarray,
    box: np.ndarray,
    periodic: bool,
    mode: int,
    cutoff: float,
    coulomb_k: float,
    alpha: float,
    krf: float,
    crf: float,
    switch_distance: float,
    fbuf: np.ndarray,
) -> tuple:
    """Fused LJ + Coulomb over a neighbour list.

    Args:
        x: ``(n, 3)`` positions, nm (float64 or float32).
        q: ``(n,)`` charges times ``sqrt(k)`` (so ``q_i q_j`` carries the Coulomb constant).
        half_sig: ``(n,)`` sigma/2, nm. two_sqrt_eps: ``(n,)`` 2 sqrt(epsilon).
        offsets, nbr: CSR neighbour list. bounds: ``(n_chunks + 1,)`` atom ranges.
        box: ``(3, 3)`` reduced box; used when ``periodic``.
        mode: 0 plain Coulomb, 1 reaction field, 2 Ewald real space.
        cutoff: nm (``inf`` for none). switch_distance: nm, or < 0 for no switch.
        fbuf: ``(n_chunks, n, 3)`` scratch force buffers (overwritten).

    Returns:
        ``(e_lj, e_coulomb)`` in kJ/mol; forces are ``fbuf.sum(0)`` (kJ/mol/nm).
    """
    n_chunks = bounds.shape[0] - 1
    n = x.shape[0]
    elj = np.zeros(n_chunks)
    ecoul = np.zeros(n_chunks)
    cut2 = cutoff * cutoff
    use_sw = switch_distance >= 0.0
    inv_sw_w = 1.0 / (cutoff - switch_distance) if use_sw else 0.0
    zero = x[0, 0] * 0 if n > 0 else 0.0
    for c in prange(n_chunks):
        f = fbuf[c]
        for i in range(n):
            f[i, 0] = zero
            f[i, 1] = zero
            f[i, 2] = zero
        e_lj = 0.0
        e_c = 0.0
        for i in range(bounds[c], bounds[c + 1]):
            xi = x[i, 0]
            yi = x[i, 1]
            zi = x[i, 2]
            qi = q[i]
            si = half_sig[i]
            ei = two_sqrt_eps[i]
            fxi = zero
            fyi = zero
            fzi = zero
            for p in range(offsets[i], offsets[i + 1]):
                j = nbr[p]
                dx = x[j, 0] - xi
                dy = x[j, 1] - yi
                dz = x[j, 2] - zi
                if periodic:
                    dx, dy, dz = minimum_image_pair(dx, dy, dz, box)
                r2 = dx * dx + dy * dy + dz * dz
                if r2 >= cut2:
                    continue
                inv_r2 = 1.0 / r2
                inv_r = math.sqrt(inv_r2)
                fscal = 0.0 * inv_r
                eps = ei * two_sqrt_eps[j]
                if eps != 0.0:
                    sig = si + half_sig[j]
                    sr2 = sig * sig * inv_r2
                    sr6 = sr2 * sr2 * sr2
                    vlj = eps * (sr6 - 1.0) * sr6
                    flj = eps * (12.0 * sr6 - 6.0) * sr6 * inv_r2
                    if use_sw:
                        r = r2 * inv_r
                        if r > switch_distance:
                            t = (r - switch_distance) * inv_sw_w
                            sw = 1.0 + t * t * t * (-10.0 + t * (15.0 - t * 6.0))
                            dsw = t * t * (-30.0 + t * (60.0 - t * 30.0)) * inv_sw_w
                            flj = flj * sw - vlj * dsw * inv_r
                            vlj = vlj * sw
                    fscal += flj
                    e_lj += vlj
                qq = qi * q[j]
                if qq != 0.0:
                    if mode == 2:
                        r = r2 * inv_r
                        ar = alpha * r
                        erfc_ar = math.erfc(ar)
                        e_c += qq * erfc_ar * inv_r
                        fscal += (
                            qq * (erfc_ar + _TWO_OVER_SQRT_PI * ar * math.exp(-ar * ar))
                            * inv_r * inv_r2
                        )
                    elif mode == 1:
                        e_c += qq * (inv_r + krf * r2 - crf)
                        fscal += qq * (inv_r * inv_r2 - 2.0 * krf)
                    else:
                        e_c += qq * inv_r
                        fscal += qq * inv_r * inv_r2
                fx = fscal * dx
                fy = fscal * dy
                fz = fscal * dz
                fxi -= fx
                fyi -= fy
                fzi -= fz
                f[j, 0] += fx
                f[j, 1] += fy
                f[j, 2] += fz
            f[i, 0] += fxi
            f[i, 1] += fyi
            f[i, 2] += fzi
        elj[c] = e_lj
        ecoul[c] = e_c
    return elj.sum(), ecoul.sum()


@njit(cache=True, parallel=True)
def reduce_forces(fbuf: np.ndarray, out: np.ndarray) -> None:
    """``out[i] = sum_c fbuf[c, i]`` in float64, parallel over atoms."""
    n_chunks = fbuf.shape[0]
    n = fbuf.shape[1]
    for i in prange(n):
        a = 0.0
        b = 0.0
        c = 0.0
        for k in range(n_chunks):
            a += fbuf[k, i, 0]
            b += fbuf[k, i, 1]
            c += fbuf[k, i, 2]
        out[i, 0] = a
        out[i, 1] = b
        out[i, 2] = c


@njit(cache=True)
def exception_kernel(
    x: np.ndarray,
    pairs: np.ndarray,
    chargeprod: np.ndarray,
    sigma: np.ndarray,
    epsilon: np.ndarray,
    q: np.ndarray,
    box: np.ndarray,
    periodic: bool,
    coulomb_k: float,
    alpha: float,
    forces: np.ndarray,
) -> tuple:
    """Exceptions (plain LJ + Coulomb with their own parameters) and Ewald exclusion terms.

    Args:
        x: ``(n, 3)`` float64 positions, nm.
        pairs: ``(m, 2)`` exception atom pairs. chargeprod (e^2), sigma (nm),
            epsilon (kJ/mol): ``(m,)`` exception parameters.
        q: ``(n,)`` particle charges, e (for the exclusion correction).
        periodic: minimum image for these pairs (OpenMM's
            ``exceptionsUsePeriodicBoundaryConditions``).
        alpha: Ewald alpha (1/nm), or 0 for no exclusion correction.
        forces: ``(n, 3)`` float64, accumulated into.

    Returns:
        ``(e_lj, e_coulomb)``, kJ/mol.
    """
    e_lj = 0.0
    e_c = 0.0
    for k in range(pairs.shape[0]):
        i = pairs[k, 0]
        j = pairs[k, 1]
        dx = x[j, 0] - x[i, 0]
        dy = x[j, 1] - x[i, 1]
        dz = x[j, 2] - x[i, 2]
        if periodic:
            dx, dy, dz = minimum_image_pair(dx, dy, dz, box)
        r2 = dx * dx + dy * dy + dz * dz
        r = math.sqrt(r2)
        fscal = 0.0
        cp = chargeprod[k]
        eps = epsilon[k]
        if cp != 0.0 or eps != 0.0:
            inv_r2 = 1.0 / r2
            inv_r = 1.0 / r
            sig = sigma[k]
            sr2 = sig * sig * inv_r2
            sr6 = sr2 * sr2 * sr2
            e_lj += 4.0 * eps * (sr6 - 1.0) * sr6
            e_c += coulomb_k * cp * inv_r
            fscal += 4.0 * eps * (12.0 * sr6 - 6.0) * sr6 * inv_r2
            fscal += coulomb_k * cp * inv_r * inv_r2
        if alpha > 0.0:
            qq = coulomb_k * q[i] * q[j]
            ar = alpha * r
            erf_ar = math.erf(ar)
            if erf_ar > 1e-6:
                inv_r = 1.0 / r
                e_c -= qq * erf_ar * inv_r
                fscal -= qq * (erf_ar - _TWO_OVER_SQRT_PI * ar * math.exp(-ar * ar)) * inv_r**3
            else:
                e_c -= qq * alpha * _TWO_OVER_SQRT_PI
        forces[i, 0] -= fscal * dx
        forces[i, 1] -= fscal * dy
        forces[i, 2] -= fscal * dz
        forces[j, 0] += fscal * dx
        forces[j, 1] += fscal * dy
        forces[j, 2] += fscal * dz
    return e_lj, e_c
