"""Numba helpers shared by the bonded kernels: the dihedral angle and its forces.

Conventions follow OpenMM's reference platform so that every torsion-like
term (periodic, Ryckaert-Bellemans, harmonic improper, CMAP) sees the same
angle: for atoms ``(a1, a2, a3, a4)``,

    d0 = r1 - r2,   d1 = r3 - r2,   d2 = r3 - r4
    c0 = d0 x d1,   c1 = d1 x d2
    phi = atan2(|d1| (d0 . c1), c0 . c1)        in (-pi, pi]

and a torque ``dE/dphi`` is turned into Cartesian forces with the
Blondel-Karplus expressions (no singularity at phi = 0, pi).

Every difference vector goes through :func:`displacement`, which applies the
minimum-image convention when ``periodic`` is true (box rows a, b, c in
OpenMM's reduced triclinic form: a along x, b in the xy plane), as OpenMM does
for bonded forces whose ``usesPeriodicBoundaryConditions()`` is set.
"""

from __future__ import annotations

import math

from numba import njit


@njit(cache=True, inline="always", fastmath=True, error_model="numpy")
def displacement(pos, i, j, box, periodic):
    """``r_j - r_i`` (minimum image when ``periodic``), as three scalars."""
    dx = pos[j, 0] - pos[i, 0]
    dy = pos[j, 1] - pos[i, 1]
    dz = pos[j, 2] - pos[i, 2]
    if periodic:
        s = math.floor(dz / box[2, 2] + 0.5)
        dx -= s * box[2, 0]
        dy -= s * box[2, 1]
        dz -= s * box[2, 2]
        s = math.floor(dy / box[1, 1] + 0.5)
        dx -= s * box[1, 0]
        dy -= s * box[1, 1]
        s = math.floor(dx / box[0, 0] + 0.5)
        dx -= s * box[0, 0]
    return dx, dy, dz


@njit(cache=True, inline="always", fastmath=True, error_model="numpy")
def dihedral_vectors(pos, a1, a2, a3, a4, box, periodic):
    """Return (phi, d0, d1, d2, c0, c1) as scalars/tuples; see module docstring."""
    d0x, d0y, d0z = displacement(pos, a2, a1, box, periodic)
    d1x, d1y, d1z = displacement(pos, a2, a3, box, periodic)
    d2x, d2y, d2z = displacement(pos, a4, a3, box, periodic)
    c0x = d0y * d1z - d0z * d1y
    c0y = d0z * d1x - d0x * d1z
    c0z = d0x * d1y - d0y * d1x
    c1x = d1y * d2z - d1z * d2y
    c1y = d1z * d2x - d1x * d2z
    c1z = d1x * d2y - d1y * d2x
    n1 = math.sqrt(d1x * d1x + d1y * d1y + d1z * d1z)
    y = n1 * (d0x * c1x + d0y * c1y + d0z * c1z)
    x = c0x * c1x + c0y * c1y + c0z * c1z
    phi = math.atan2(y, x)
    return phi, (d0x, d0y, d0z), (d1x, d1y, d1z), (d2x, d2y, d2z), (c0x, c0y, c0z), (c1x, c1y, c1z)


@njit(cache=True, inline="always", fastmath=True, error_model="numpy")
def add_torsion_forces(forces, a1, a2, a3, a4, dedphi, d0, d1, d2, c0, c1):
    """Accumulate the forces of a torque ``dE/dphi`` (kJ/mol/rad) onto ``forces``."""
    n1sq = d1[0] * d1[0] + d1[1] * d1[1] + d1[2] * d1[2]
    n1 = math.sqrt(n1sq)
    c0sq = c0[0] * c0[0] + c0[1] * c0[1] + c0[2] * c0[2]
    c1sq = c1[0] * c1[0] + c1[1] * c1[1] + c1[2] * c1[2]
    ff0 = -dedphi * n1 / c0sq
    ff3 = dedphi * n1 / c1sq
    ff1 = (d0[0] * d1[0] + d0[1] * d1[1] + d0[2] * d1[2]) / n1sq
    ff2 = (d2[0] * d1[0] + d2[1] * d1[1] + d2[2] * d1[2]) / n1sq
    for m in range(3):
        f0 = ff0 * c0[m]
        f3 = ff3 * c1[m]
        s = ff1 * f0 - ff2 * f3
        forces[a1, m] += f0
        forces[a2, m] -= f0 - s
        forces[a3, m] -= f3 + s
        forces[a4, m] += f3
