"""Fused numba update kernels of the integrators (one call per step and stage).

Every kernel works in place on ``x`` (positions ``(n, 3)`` nm) and ``v``
(velocities ``(n, 3)`` nm/ps) given forces ``f`` ``(n, 3)`` kJ/mol/nm and
``inv_mass`` ``(n,)`` 1/amu (0 for virtual sites, which are never moved).
Constraint arguments are those of :meth:`ConstraintSolver.args_positions`; a
kernel returns the ``(kind, index)`` of :func:`constrain_positions` (0 = ok).
"""

from __future__ import annotations

import math

from numba import njit

from sponge.constraints.solver import constrain_positions, constrain_velocities


@njit(cache=True)
def _constrain_and_commit(x, v, inv_mass, dt, xp, xu, has_constraints, waters, m_o, m_h, d_oh,
                          d_hh, pairs, dist, tol, max_iter):
    """Shared end of a drift: SHAKE/SETTLE the trial positions ``xp`` (unconstrained copy
    ``xu``), add the constraint displacement / dt to the velocities, accept ``x = xp``."""
    n = x.shape[0]
    if has_constraints:
        kind, idx = constrain_positions(x, xp, waters, m_o, m_h, d_oh, d_hh, pairs, dist,
                                        inv_mass, tol, max_iter)
        if kind != 0:
            return kind, idx
    inv_dt = 1.0 / dt
    for i in range(n):
        if inv_mass[i] != 0.0:
            for d in range(3):
                v[i, d] += (xp[i, d] - xu[i, d]) * inv_dt
                x[i, d] = xp[i, d]
    return 0, -1


@njit(cache=True)
def langevin_middle_kernel(x, v, f, inv_mass, sigma, noise, dt, vscale, noisescale, xp, xu,
                           has_constraints, waters, m_o, m_h, d_oh, d_hh, pairs, dist, tol,
                           max_iter):
    """One LangevinMiddle step (OpenMM's scheme, Zhang et al. JCP 151, 234106 (2019)).

    ``v += dt F/m``; RATTLE velocities; ``x' = x + v dt/2``;
    ``v = a v + sqrt(1 - a^2) sqrt(kT/m) R``; ``x' += v dt/2``; SHAKE/SETTLE
    ``x'``; ``v += (x'_c - x'_u)/dt``; ``x = x'``. ``sigma = sqrt(kT/m)`` per
    atom, ``noise`` ``(n, 3)`` standard normals, ``a = vscale = exp(-gamma dt)``.
    """
    n = x.shape[0]
    for i in range(n):
        w = inv_mass[i]
        if w != 0.0:
            for d in range(3):
                v[i, d] += dt * w * f[i, d]
    if has_constraints:
        kind, idx = constrain_velocities(x, v, waters, pairs, dist, inv_mass, tol, max_iter)
        if kind != 0:
            return kind, idx
    half = 0.5 * dt
    for i in range(n):
        if inv_mass[i] != 0.0:
            s = noisescale * sigma[i]
            for d in range(3):
                p = x[i, d] + v[i, d] * half
                vv = vscale * v[i, d] + s * noise[i, d]
                v[i, d] = vv
                p += vv * half
                xp[i, d] = p
                xu[i, d] = p
        else:
            for d in range(3):
                xp[i, d] = x[i, d]
    return _constrain_and_commit(x, v, inv_mass, dt, xp, xu, has_constraints, waters, m_o, m_h,
                                 d_oh, d_hh, pairs, dist, tol, max_iter)


@njit(cache=True)
def verlet_first_kernel(x, v, f, inv_mass, dt, xp, xu, has_constraints, waters, m_o, m_h,
                        d_oh, d_hh, pairs, dist, tol, max_iter):
    """Velocity Verlet first half: half kick, drift, SHAKE/SETTLE, velocity correction."""
    n = x.shape[0]
    half = 0.5 * dt
    for i in range(n):
        w = inv_mass[i]
        if w != 0.0:
            for d in range(3):
                v[i, d] += half * w * f[i, d]
                p = x[i, d] + dt * v[i, d]
                xp[i, d] = p
                xu[i, d] = p
        else:
            for d in range(3):
                xp[i, d] = x[i, d]
    return _constrain_and_commit(x, v, inv_mass, dt, xp, xu, has_constraints, waters, m_o, m_h,
                                 d_oh, d_hh, pairs, dist, tol, max_iter)


@njit(cache=True)
def verlet_second_kernel(x, v, f, inv_mass, dt, has_constraints, waters, pairs, dist, tol,
                         max_iter):
    """Velocity Verlet second half: half kick with the new forces, RATTLE velocities."""
    n = x.shape[0]
    half = 0.5 * dt
    for i in range(n):
        w = inv_mass[i]
        if w != 0.0:
            for d in range(3):
                v[i, d] += half * w * f[i, d]
    if has_constraints:
        return constrain_velocities(x, v, waters, pairs, dist, inv_mass, tol, max_iter)
    return 0, -1


@njit(cache=True)
def kinetic_energy_kernel(v, mass):
    """``sum 1/2 m v^2`` (kJ/mol)."""
    ke = 0.0
    for i in range(v.shape[0]):
        ke += 0.5 * mass[i] * (v[i, 0] * v[i, 0] + v[i, 1] * v[i, 1] + v[i, 2] * v[i, 2])
    return ke


@njit(cache=True)
def scale_velocities(v, factor):
    """``v *= factor`` in place."""
    for i in range(v.shape[0]):
        for d in range(3):
            v[i, d] *= factor


@njit(cache=True)
def all_finite(x):
    """True if every entry of ``x`` ``(n, 3)`` is finite."""
    for i in range(x.shape[0]):
        for d in range(3):
            if not math.isfinite(x[i, d]):
                return False
    return True


@njit(cache=True)
def remove_com_velocity_kernel(v, mass):
    """Subtract the centre-of-mass velocity from every massive particle (in place)."""
    total = 0.0
    p0 = 0.0
    p1 = 0.0
    p2 = 0.0
    for i in range(v.shape[0]):
        m = mass[i]
        total += m
        p0 += m * v[i, 0]
        p1 += m * v[i, 1]
        p2 += m * v[i, 2]
    if total <= 0.0:
        return
    p0 /= total
    p1 /= total
    p2 /= total
    for i in range(v.shape[0]):
        if mass[i] > 0.0:
            v[i, 0] -= p0
            v[i, 1] -= p1
            v[i, 2] -= p2
