"""Geometric CVs: atom position, distance, angle and dihedral (numba kernels).

Definitions (``d(i, j) = r_j - r_i``, minimum image when a box is given):

* :class:`Position`: ``s = x_i[axis]`` nm (no wrapping).
* :class:`Distance`: ``s = |d(i, j)|`` nm.
* :class:`Angle`: ``s = angle(d(j, i), d(j, k))`` in ``[0, pi]`` rad, vertex j.
* :class:`Dihedral`: ``s = phi(i, j, k, l)`` in ``(-pi, pi]`` rad, the IUPAC
  sign convention shared with OpenMM and mdtraj; periodic with period ``2 pi``.
  The gradient uses the Blondel-Karplus form (no singularity at 0 or pi).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from sponge.cv.base import TWO_PI, CollectiveVariable, check_atoms, reduced_box
from sponge.forces.geometry import displacement  # r_j - r_i, minimum image


@njit(cache=True)
def distance_kernel(pos, a, box, periodic):
    """(|r_a1 - r_a0|, (2, 3) gradient)."""
    dx, dy, dz = displacement(pos, a[0], a[1], box, periodic)
    r = math.sqrt(dx * dx + dy * dy + dz * dz)
    g = np.zeros((2, 3))
    if r > 0.0:
        g[1, 0] = dx / r
        g[1, 1] = dy / r
        g[1, 2] = dz / r
        g[0, 0] = -g[1, 0]
        g[0, 1] = -g[1, 1]
        g[0, 2] = -g[1, 2]
    return r, g


@njit(cache=True)
def angle_kernel(pos, a, box, periodic):
    """(theta at vertex a1, (3, 3) gradient)."""
    ux, uy, uz = displacement(pos, a[1], a[0], box, periodic)
    vx, vy, vz = displacement(pos, a[1], a[2], box, periodic)
    nu = math.sqrt(ux * ux + uy * uy + uz * uz)
    nv = math.sqrt(vx * vx + vy * vy + vz * vz)
    c = (ux * vx + uy * vy + uz * vz) / (nu * nv)
    cx = uy * vz - uz * vy
    cy = uz * vx - ux * vz
    cz = ux * vy - uy * vx
    sn = math.sqrt(cx * cx + cy * cy + cz * cz) / (nu * nv)
    theta = math.atan2(sn, c)
    g = np.zeros((3, 3))
    if sn > 1e-12:
        # d theta / d u = (c u/|u| - v/|v|) / (|u| sin)
        u = (ux, uy, uz)
        v = (vx, vy, vz)
        for m in range(3):
            gu = (c * u[m] / nu - v[m] / nv) / (nu * sn)
            gv = (c * v[m] / nv - u[m] / nu) / (nv * sn)
            g[0, m] = gu
            g[2, m] = gv
            g[1, m] = -gu - gv
    return theta, g


@njit(cache=True)
def dihedral_kernel(pos, a, box, periodic):
    """(phi in (-pi, pi], (4, 3) gradient), OpenMM's convention."""
    d0x, d0y, d0z = displacement(pos, a[1], a[0], box, periodic)
    d1x, d1y, d1z = displacement(pos, a[1], a[2], box, periodic)
    d2x, d2y, d2z = displacement(pos, a[3], a[2], box, periodic)
    c0x = d0y * d1z - d0z * d1y
    c0y = d0z * d1x - d0x * d1z
    c0z = d0x * d1y - d0y * d1x
    c1x = d1y * d2z - d1z * d2y
    c1y = d1z * d2x - d1x * d2z
    c1z = d1x * d2y - d1y * d2x
    n1sq = d1x * d1x + d1y * d1y + d1z * d1z
    n1 = math.sqrt(n1sq)
    y = n1 * (d0x * c1x + d0y * c1y + d0z * c1z)
    x = c0x * c1x + c0y * c1y + c0z * c1z
    phi = math.atan2(y, x)
    g = np.zeros((4, 3))
    c0sq = c0x * c0x + c0y * c0y + c0z * c0z
    c1sq = c1x * c1x + c1y * c1y + c1z * c1z
    if c0sq > 0.0 and c1sq > 0.0:
        # forces of a unit torque dE/dphi = 1 are -grad phi
        ff0 = -n1 / c0sq
        ff3 = n1 / c1sq
        ff1 = (d0x * d1x + d0y * d1y + d0z * d1z) / n1sq
        ff2 = (d2x * d1x + d2y * d1y + d2z * d1z) / n1sq
        c0 = (c0x, c0y, c0z)
        c1 = (c1x, c1y, c1z)
        for m in range(3):
            f0 = ff0 * c0[m]
            f3 = ff3 * c1[m]
            s = ff1 * f0 - ff2 * f3
            g[0, m] = -f0
            g[1, m] = f0 - s
            g[2, m] = f3 + s
            g[3, m] = -f3
    return phi, g


_NO_BOX = np.zeros((3, 3))


def _box_args(box, who):
    if box is None:
        return _NO_BOX, False
    b = reduced_box(box, who)
    return b, True


class Position(CollectiveVariable):
    """One Cartesian coordinate of one atom, nm (PLUMED's POSITION; never wrapped).

    Args:
        atom: atom index.
        axis: 0, 1, 2 or "x", "y", "z".
        name: label (default ``"x3"`` style).
    """

    def __init__(self, atom: int, axis: int | str = 0, name: str | None = None) -> None:
        axes = {"x": 0, "y": 1, "z": 2}
        ax = axes.get(axis, axis) if isinstance(axis, str) else axis
        if ax not in (0, 1, 2):
            raise ValueError(f"Position: axis must be 0, 1, 2 or 'x', 'y', 'z'; got {axis!r}")
        self.axis = int(ax)
        self.atoms = check_atoms([atom], 1, "Position")
        self.name = name or f"{'xyz'[self.axis]}{int(atom)}"

    def local(self, positions, box=None):
        g = np.zeros((1, 3))
        g[0, self.axis] = 1.0
        return float(positions[self.atoms[0], self.axis]), g


class Distance(CollectiveVariable):
    """Distance between two atoms, nm (minimum image with a box).

    Example:
        >>> d = Distance(0, 1); d.value(np.array([[0, 0, 0], [0.3, 0.4, 0.0]]))
        0.5
    """

    def __init__(self, i: int, j: int, name: str | None = None) -> None:
        self.atoms = check_atoms([i, j], 2, "Distance")
        self.name = name or f"d{i}-{j}"

    def local(self, positions, box=None):
        b, per = _box_args(box, f"CV {self.name!r}")
        r, g = distance_kernel(np.asarray(positions, dtype=np.float64), self.atoms, b, per)
        return float(r), g


class Angle(CollectiveVariable):
    """Angle i-j-k at vertex j, rad in ``[0, pi]``."""

    units = "rad"

    def __init__(self, i: int, j: int, k: int, name: str | None = None) -> None:
        self.atoms = check_atoms([i, j, k], 3, "Angle")
        self.name = name or f"a{i}-{j}-{k}"

    def local(self, positions, box=None):
        b, per = _box_args(box, f"CV {self.name!r}")
        t, g = angle_kernel(np.asarray(positions, dtype=np.float64), self.atoms, b, per)
        return float(t), g


class Dihedral(CollectiveVariable):
    """Dihedral i-j-k-l, rad in ``(-pi, pi]``; periodic with period ``2 pi``.

    Example:
        >>> phi = Dihedral(4, 6, 8, 14, name="phi")   # alanine dipeptide phi
    """

    periodic = True
    period = TWO_PI
    bounds = (-math.pi, math.pi)
    units = "rad"

    def __init__(self, i: int, j: int, k: int, l: int, name: str | None = None) -> None:  # noqa: E741
        self.atoms = check_atoms([i, j, k, l], 4, "Dihedral")
        self.name = name or f"phi{i}-{j}-{k}-{l}"

    def local(self, positions, box=None):
        b, per = _box_args(box, f"CV {self.name!r}")
        p, g = dihedral_kernel(np.asarray(positions, dtype=np.float64), self.atoms, b, per)
        return float(p), g
