"""Ewald/PME parameter selection and the long-range dispersion correction.

The formulas are OpenMM's (``NonbondedForceImpl``), so that a system built
with the same error tolerance uses the same splitting parameter, grid and
k-vector ranges:

- ``alpha = sqrt(-ln(2 * tol)) / cutoff`` (1/nm) for Ewald and PME;
- PME grid ``n_d = max(6, ceil(2 * alpha * L_d / (3 * tol**0.2)))`` with
  ``L_d`` the box heights ``a_x, b_y, c_z``;
- Ewald ``kmax_d``: the smallest integer where
  ``tol - 0.05 * sqrt(L_d * alpha) * k * exp(-(k pi / (L_d alpha))**2) > 0``
  (searched from 10 as OpenMM does), then made odd;
- dispersion correction ``E = 8 pi N^2 (<eps sig^12>/(9 rc^9) - <eps sig^6>/(3 rc^3)
  + <eps I_sw(sig)>) / V`` averaged over all N(N+1)/2 pairs of particle
  classes, with ``I_sw`` the switching-region integral (Shirts et al.).
"""

from __future__ import annotations

import math

import numpy as np

ONE_4PI_EPS0 = 1.0 / (
    4.0 * math.pi * (1e-6 * 8.8541878128e-12 / (1.602176634e-19**2 * 6.02214076e23))
)
"""Coulomb constant 1/(4 pi eps0) in kJ nm / (mol e^2), the value OpenMM uses."""

EPSILON0 = 1e-6 * 8.8541878128e-12 / (1.602176634e-19**2 * 6.02214076e23)
"""Vacuum permittivity in e^2 mol / (kJ nm)."""


def ewald_alpha(cutoff: float, tolerance: float) -> float:
    """Ewald splitting parameter alpha (1/nm) for a cutoff (nm) and error tolerance."""
    return math.sqrt(-math.log(2.0 * tolerance)) / cutoff


def pme_grid(box: np.ndarray, alpha: float, tolerance: float) -> tuple[int, int, int]:
    """OpenMM's PME grid dimensions for a reduced box (rows, nm)."""
    f = 2.0 * alpha / (3.0 * tolerance**0.2)
    return tuple(max(int(math.ceil(f * box[d, d])), 6) for d in range(3))


def _find_zero(fun, guess: int) -> int:
    arg = guess
    value = fun(arg)
    if value > 0.0:
        while value > 0.0 and arg > 0:
            arg -= 1
            value = fun(arg)
        return arg + 1
    while value < 0.0:
        arg += 1
        value = fun(arg)
    return arg


def ewald_kmax(box: np.ndarray, alpha: float, tolerance: float) -> tuple[int, int, int]:
    """OpenMM's number of Ewald wave vectors per dimension (odd), for a reduced box."""
    out = []
    for d in range(3):
        width = box[d, d]

        def err(k: int, width: float = width) -> float:
            t = k * math.pi / (width * alpha)
            return tolerance - 0.05 * math.sqrt(width * alpha) * k * math.exp(-t * t)

        k = _find_zero(err, 10)
        out.append(k + 1 if k % 2 == 0 else k)
    return tuple(out)


def _switch_integral(r: float, rs: float, rc: float, sigma: float) -> float:
    """OpenMM's closed-form antiderivative (``evalIntegral``) for the switched LJ tail.

    ``I(rc) - I(rs)`` per unit epsilon is the switching-region contribution that
    enters the dispersion-correction sum (``sum3`` in OpenMM's formula).
    """
    a = 1.0 / (rc - rs)
    a2 = a * a
    a3 = a2 * a
    sig2 = sigma * sigma
    sig6 = sig2 * sig2 * sig2
    rs2 = rs * rs
    rs3 = rs * rs2
    r2 = r * r
    r3 = r * r2
    r4 = r * r3
    r5 = r * r4
    r6 = r * r5
    r9 = r3 * r6
    poly = (
        sig6
        * (
            rs3 * 28 * (6 * rs2 * a2 + 15 * rs * a + 10)
            - r * rs2 * 945 * (rs2 * a2 + 2 * rs * a + 1)
            + r2 * rs * 1080 * (2 * rs2 * a2 + 3 * rs * a + 1)
            - r3 * 420 * (6 * rs2 * a2 + 6 * rs * a + 1)
            + r4 * 756 * (2 * rs * a2 + a)
            - r5 * 378 * a2
        )
        - r6
        * (
            rs3 * 84 * (6 * rs2 * a2 + 15 * rs * a + 10)
            - r * rs2 * 3780 * (rs2 * a2 + 2 * rs * a + 1)
            + r2 * rs * 7560 * (2 * rs2 * a2 + 3 * rs * a + 1)
        )
    ) / (252 * r9)
    return (
        sig6
        * a3
        * (
            poly
            - math.log(r) * 10 * (6 * rs2 * a2 + 6 * rs * a + 1)
            + r * 15 * (2 * rs * a2 + a)
            - r2 * 3 * a2
        )
    )


def dispersion_coefficient(
    sigmas: np.ndarray,
    epsilons: np.ndarray,
    cutoff: float,
    switch_distance: float | None = None,
) -> float:
    """Coefficient ``C`` of the long-range LJ correction ``E = C / V`` (kJ/mol nm^3).

    Args:
        sigmas: ``(n,)`` per-particle sigma, nm.
        epsilons: ``(n,)`` per-particle epsilon, kJ/mol.
        cutoff: LJ cutoff, nm.
        switch_distance: start of the LJ switching function, nm, or None.

    Particles are grouped into classes of equal (sigma, epsilon); pairs of classes
    use Lorentz-Berthelot combination, exactly as OpenMM does.
    """
    sig = np.asarray(sigmas, dtype=np.float64)
    eps = np.asarray(epsilons, dtype=np.float64)
    keys, counts = np.unique(np.stack([sig, eps], axis=1), axis=0, return_counts=True)
    use_sw = switch_distance is not None
    sum1 = sum2 = sum3 = 0.0

    def add(count: float, s: float, e: float) -> None:
        nonlocal sum1, sum2, sum3
        s6 = s**6
        sum1 += count * e * s6 * s6
        sum2 += count * e * s6
        if use_sw:
            sum3 += (
                count
                * e
                * (
                    _switch_integral(cutoff, switch_distance, cutoff, s)
                    - _switch_integral(switch_distance, switch_distance, cutoff, s)
                )
            )

    for a in range(len(keys)):
        c = float(counts[a])
        add(c * (c + 1) / 2, keys[a, 0], keys[a, 1])
    for a in range(len(keys)):
        for b in range(a):
            add(
                float(counts[a]) * float(counts[b]),
                0.5 * (keys[a, 0] + keys[b, 0]),
                math.sqrt(keys[a, 1] * keys[b, 1]),
            )
    n = float(len(sig))
    n_int = n * (n + 1) / 2
    sum1 /= n_int
    sum2 /= n_int
    sum3 /= n_int
    return 8 * n * n * math.pi * (sum1 / (9 * cutoff**9) - sum2 / (3 * cutoff**3) + sum3)
