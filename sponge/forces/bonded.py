"""Two-body and three-body bonded terms: harmonic bonds and harmonic angles.

    bond:  E = 1/2 k (r - r0)^2         k in kJ/mol/nm^2, r0 in nm
    angle: E = 1/2 k (theta - theta0)^2  k in kJ/mol/rad^2, theta0 in rad

(OpenMM's ``HarmonicBondForce`` / ``HarmonicAngleForce`` convention; Amber's
``k (r - r0)^2`` is converted at the I/O edge.) Urey-Bradley 1-3 springs are
harmonic bonds: inside the one bond term when OpenMM's ``charmm36.xml`` put
them in the ``HarmonicBondForce``, or a second :class:`HarmonicBondTerm` named
``"urey_bradley"`` when they come as a second ``HarmonicBondForce``
(``CharmmPsfFile``).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit
from numpy.typing import ArrayLike

from sponge.forces.base import ForceTermBase
from sponge.forces.geometry import displacement


@njit(cache=True, fastmath=True, error_model="numpy")
def _bond_kernel(pos, idx, k, r0, box, periodic, forces):
    energy = 0.0
    for b in range(idx.shape[0]):
        i = idx[b, 0]
        j = idx[b, 1]
        dx, dy, dz = displacement(pos, i, j, box, periodic)
        r = math.sqrt(dx * dx + dy * dy + dz * dz)
        dr = r - r0[b]
        energy += 0.5 * k[b] * dr * dr
        if r > 0.0:
            g = k[b] * dr / r
            forces[i, 0] += g * dx
            forces[i, 1] += g * dy
            forces[i, 2] += g * dz
            forces[j, 0] -= g * dx
            forces[j, 1] -= g * dy
            forces[j, 2] -= g * dz
    return energy


@njit(cache=True, fastmath=True, error_model="numpy")
def _angle_kernel(pos, idx, k, theta0, box, periodic, forces):
    energy = 0.0
    for a in range(idx.shape[0]):
        i = idx[a, 0]
        j = idx[a, 1]
        m = idx[a, 2]
        ax, ay, az = displacement(pos, j, i, box, periodic)
        bx, by, bz = displacement(pos, j, m, box, periodic)
        # angle from atan2(|a x b|, a.b): accurate near 0 and pi
        cx = ay * bz - az * by
        cy = az * bx - ax * bz
        cz = ax * by - ay * bx
        cn = math.sqrt(cx * cx + cy * cy + cz * cz)
        dot = ax * bx + ay * by + az * bz
        theta = math.atan2(cn, dot)
        dt = theta - theta0[a]
        energy += 0.5 * k[a] * dt * dt
        dedt = k[a] * dt
        if cn < 1e-12:
            continue
        ra2 = ax * ax + ay * ay + az * az
        rb2 = bx * bx + by * by + bz * bz
        # force on i: -dE/dtheta * dtheta/dri, dtheta/dri = (a x (a x b)) / (|a|^2 |a x b|)
        pa = -dedt / (ra2 * cn)
        pb = dedt / (rb2 * cn)
        fix = pa * (ay * cz - az * cy)
        fiy = pa * (az * cx - ax * cz)
        fiz = pa * (ax * cy - ay * cx)
        fmx = pb * (by * cz - bz * cy)
        fmy = pb * (bz * cx - bx * cz)
        fmz = pb * (bx * cy - by * cx)
        forces[i, 0] += fix
        forces[i, 1] += fiy
        forces[i, 2] += fiz
        forces[m, 0] += fmx
        forces[m, 1] += fmy
        forces[m, 2] += fmz
        forces[j, 0] -= fix + fmx
        forces[j, 1] -= fiy + fmy
        forces[j, 2] -= fiz + fmz
    return energy


def _as_index(array, width: int, what: str, n_atoms: int) -> np.ndarray:
    idx = np.ascontiguousarray(np.asarray(array, dtype=np.int64).reshape(-1, width))
    if idx.size and (idx.min() < 0 or idx.max() >= n_atoms):
        bad = int(np.argmax((idx < 0).any(axis=1) | (idx >= n_atoms).any(axis=1)))
        raise ValueError(
            f"{what} entry {bad} has atom indices {idx[bad].tolist()} outside 0..{n_atoms - 1}"
        )
    return idx


class HarmonicBondTerm(ForceTermBase):
    """Harmonic bonds ``E = 1/2 k (r - r0)^2``.

    Args:
        n_atoms: number of particles in the system.
        indices: ``(n_bonds, 2)`` int atom pairs.
        k: ``(n_bonds,)`` force constants, kJ/mol/nm^2.
        r0: ``(n_bonds,)`` equilibrium lengths, nm.
        name: key in ``System.energy_terms`` ("bond" or "urey_bradley").
        dtype: float64 (default) or float32.

    Example:
        >>> t = HarmonicBondTerm(2, [[0, 1]], [1000.0], [0.1])
        >>> round(t.energy(np.array([[0, 0, 0], [0.12, 0, 0]])), 6)
        0.2
    """

    def __init__(
        self,
        n_atoms: int,
        indices: ArrayLike,
        k: ArrayLike,
        r0: ArrayLike,
        name: str = "bond",
        dtype: type = np.float64,
    ) -> None:
        super().__init__(n_atoms, dtype)
        self.name = name
        self.indices = _as_index(indices, 2, name, n_atoms)
        self.k = np.ascontiguousarray(k, dtype=self.dtype).reshape(-1)
        self.r0 = np.ascontiguousarray(r0, dtype=self.dtype).reshape(-1)
        if not (len(self.k) == len(self.r0) == len(self.indices)):
            raise ValueError(f"{name}: indices, k and r0 must have the same length")

    def _energy_forces(self, pos, box):
        forces = np.zeros((self.n_atoms, 3), dtype=self.dtype)
        if len(self.indices) == 0:
            return 0.0, forces
        box, periodic = self._box_args(box)
        return _bond_kernel(pos, self.indices, self.k, self.r0, box, periodic, forces), forces


class HarmonicAngleTerm(ForceTermBase):
    """Harmonic angles ``E = 1/2 k (theta - theta0)^2``.

    Args:
        n_atoms: number of particles.
        indices: ``(n_angles, 3)`` int, the middle atom second.
        k: ``(n_angles,)`` kJ/mol/rad^2.
        theta0: ``(n_angles,)`` rad.
    """

    def __init__(
        self,
        n_atoms: int,
        indices: ArrayLike,
        k: ArrayLike,
        theta0: ArrayLike,
        name: str = "angle",
        dtype: type = np.float64,
    ) -> None:
        super().__init__(n_atoms, dtype)
        self.name = name
        self.indices = _as_index(indices, 3, name, n_atoms)
        self.k = np.ascontiguousarray(k, dtype=self.dtype).reshape(-1)
        self.theta0 = np.ascontiguousarray(theta0, dtype=self.dtype).reshape(-1)
        if not (len(self.k) == len(self.theta0) == len(self.indices)):
            raise ValueError(f"{name}: indices, k and theta0 must have the same length")

    def _energy_forces(self, pos, box):
        forces = np.zeros((self.n_atoms, 3), dtype=self.dtype)
        if len(self.indices) == 0:
            return 0.0, forces
        box, periodic = self._box_args(box)
        e = _angle_kernel(pos, self.indices, self.k, self.theta0, box, periodic, forces)
        return e, forces
