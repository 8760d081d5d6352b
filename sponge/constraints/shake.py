"""SHAKE (positions) and RATTLE (velocities) for general distance constraints.

Iterative solvers for constraints ``|r_i - r_j| = d_k`` (bonds to hydrogen,
all bonds, H-X-H angles written as distances). Positions are corrected along
the *reference* bond vectors (Ryckaert, Ciccotti & Berendsen 1977); velocities
get the RATTLE projection (Andersen 1983) that removes relative velocity along
each bond. Convergence is relative: ``|r^2 - d^2| / (2 d^2) < tol`` for
positions and ``|r . v_ij| / d^2 < tol`` (1/ps) for velocities.

Shapes: positions/velocities ``(n_atoms, 3)``; ``pairs`` ``(m, 2)`` int;
``dist`` ``(m,)`` nm; ``inv_mass`` ``(n_atoms,)`` 1/amu.
"""

from __future__ import annotations

from numba import njit


@njit(cache=True)
def shake_positions(ref, new, pairs, dist, inv_mass, tol, max_iter):
    """SHAKE ``new`` in place along the bonds of ``ref``.

    Returns:
        ``(iterations, worst)``: iterations used (``max_iter`` when not
        converged) and the index of the worst constraint at the end (-1 if
        converged).
    """
    m = pairs.shape[0]
    for it in range(max_iter):
        done = True
        for k in range(m):
            i = pairs[k, 0]
            j = pairs[k, 1]
            sx = new[i, 0] - new[j, 0]
            sy = new[i, 1] - new[j, 1]
            sz = new[i, 2] - new[j, 2]
            d2 = dist[k] * dist[k]
            diff = d2 - (sx * sx + sy * sy + sz * sz)
            if abs(diff) > 2.0 * tol * d2:
                done = False
                rx = ref[i, 0] - ref[j, 0]
                ry = ref[i, 1] - ref[j, 1]
                rz = ref[i, 2] - ref[j, 2]
                wi = inv_mass[i]
                wj = inv_mass[j]
                rs = rx * sx + ry * sy + rz * sz
                if rs < 1e-6 * d2:
                    return max_iter, k
                g = diff / (2.0 * rs * (wi + wj))
                new[i, 0] += g * wi * rx
                new[i, 1] += g * wi * ry
                new[i, 2] += g * wi * rz
                new[j, 0] -= g * wj * rx
                new[j, 1] -= g * wj * ry
                new[j, 2] -= g * wj * rz
        if done:
            return it, -1
    worst = -1
    worst_err = 0.0
    for k in range(m):
        i = pairs[k, 0]
        j = pairs[k, 1]
        s2 = 0.0
        for d in range(3):
            s2 += (new[i, d] - new[j, d]) ** 2
        err = abs(s2 - dist[k] * dist[k])
        if err > worst_err:
            worst_err = err
            worst = k
    return max_iter, worst


@njit(cache=True)
def rattle_velocities(pos, vel, pairs, dist, inv_mass, tol, max_iter):
    """RATTLE velocity projection in place; returns ``(iterations, worst)`` as SHAKE."""
    m = pairs.shape[0]
    for it in range(max_iter):
        done = True
        for k in range(m):
            i = pairs[k, 0]
            j = pairs[k, 1]
            rx = pos[i, 0] - pos[j, 0]
            ry = pos[i, 1] - pos[j, 1]
            rz = pos[i, 2] - pos[j, 2]
            rv = (rx * (vel[i, 0] - vel[j, 0]) + ry * (vel[i, 1] - vel[j, 1])
                  + rz * (vel[i, 2] - vel[j, 2]))
            d2 = dist[k] * dist[k]
            if abs(rv) > tol * d2:
                done = False
                wi = inv_mass[i]
                wj = inv_mass[j]
                g = -rv / ((wi + wj) * (rx * rx + ry * ry + rz * rz))
                vel[i, 0] += g * wi * rx
                vel[i, 1] += g * wi * ry
                vel[i, 2] += g * wi * rz
                vel[j, 0] -= g * wj * rx
                vel[j, 1] -= g * wj * ry
                vel[j, 2] -= g * wj * rz
        if done:
            return it, -1
    return max_iter, 0
