"""Four-body torsion terms on the dihedral angle ``phi`` (see :mod:`.geometry`).

    periodic:   E = k (1 + cos(n phi - phi0))                 (Amber/CHARMM proper)
    RB:         E = sum_{m=0..5} C_m cos(psi)^m, psi = phi - pi (Ryckaert-Bellemans, GROMACS)
    improper:   E = c k w(phi - phi0)^2                        (harmonic improper)

For the harmonic improper ``w`` is either the identity or the wrap onto
``(-pi, pi]`` and ``c`` a constant factor (1 for CHARMM/Amber's ``k*(...)^2``,
1/2 for GROMACS); both are read off the OpenMM energy expression by
:func:`sponge.forces.expression.parse_harmonic_torsion`.
Units: k and C_m in kJ/mol, angles in rad.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit
from numpy.typing import ArrayLike

from sponge.forces.base import ForceTermBase
from sponge.forces.bonded import _as_index
from sponge.forces.geometry import add_torsion_forces, dihedral_vectors


@njit(cache=True, fastmath=True, error_model="numpy")
def _periodic_kernel(pos, idx, n, k, phase, box, periodic, forces):
    energy = 0.0
    for t in range(idx.shape[0]):
        a1, a2, a3, a4 = idx[t, 0], idx[t, 1], idx[t, 2], idx[t, 3]
        phi, d0, d1, d2, c0, c1 = dihedral_vectors(pos, a1, a2, a3, a4, box, periodic)
        arg = n[t] * phi - phase[t]
        energy += k[t] * (1.0 + math.cos(arg))
        dedphi = -k[t] * n[t] * math.sin(arg)
        add_torsion_forces(forces, a1, a2, a3, a4, dedphi, d0, d1, d2, c0, c1)
    return energy


@njit(cache=True, fastmath=True, error_model="numpy")
def _rb_kernel(pos, idx, c, box, periodic, forces):
    energy = 0.0
    for t in range(idx.shape[0]):
        a1, a2, a3, a4 = idx[t, 0], idx[t, 1], idx[t, 2], idx[t, 3]
        phi, d0, d1, d2, c0, c1 = dihedral_vectors(pos, a1, a2, a3, a4, box, periodic)
        psi = phi - math.pi
        cp = math.cos(psi)
        sp = math.sin(psi)
        e = 0.0
        de = 0.0
        power = 1.0
        for m in range(6):
            e += c[t, m] * power
            if m < 5:
                de += (m + 1) * c[t, m + 1] * power
            power *= cp
        energy += e
        add_torsion_forces(forces, a1, a2, a3, a4, -de * sp, d0, d1, d2, c0, c1)
    return energy


@njit(cache=True, fastmath=True, error_model="numpy")
def _improper_kernel(pos, idx, k, theta0, wrap, box, periodic, forces):
    energy = 0.0
    two_pi = 2.0 * math.pi
    for t in range(idx.shape[0]):
        a1, a2, a3, a4 = idx[t, 0], idx[t, 1], idx[t, 2], idx[t, 3]
        phi, d0, d1, d2, c0, c1 = dihedral_vectors(pos, a1, a2, a3, a4, box, periodic)
        dphi = phi - theta0[t]
        if wrap:
            dphi -= two_pi * math.floor(dphi / two_pi + 0.5)
        energy += k[t] * dphi * dphi
        add_torsion_forces(forces, a1, a2, a3, a4, 2.0 * k[t] * dphi, d0, d1, d2, c0, c1)
    return energy


class PeriodicTorsionTerm(ForceTermBase):
    """Periodic torsions ``E = k (1 + cos(n phi - phi0))``.

    Args:
        n_atoms: number of particles.
        indices: ``(n_torsions, 4)`` int.
        periodicity: ``(n_torsions,)`` int n.
        k: ``(n_torsions,)`` kJ/mol.
        phase: ``(n_torsions,)`` phi0, rad.
        name: "torsion" (proper) or e.g. "improper" for Amber's periodic impropers.
    """

    def __init__(
        self,
        n_atoms: int,
        indices: ArrayLike,
        periodicity: ArrayLike,
        k: ArrayLike,
        phase: ArrayLike,
        name: str = "torsion",
        dtype: type = np.float64,
    ) -> None:
        super().__init__(n_atoms, dtype)
        self.name = name
        self.indices = _as_index(indices, 4, name, n_atoms)
        self.periodicity = np.ascontiguousarray(periodicity, dtype=self.dtype).reshape(-1)
        self.k = np.ascontiguousarray(k, dtype=self.dtype).reshape(-1)
        self.phase = np.ascontiguousarray(phase, dtype=self.dtype).reshape(-1)
        if not (len(self.k) == len(self.phase) == len(self.periodicity) == len(self.indices)):
            raise ValueError(f"{name}: indices, periodicity, k and phase must have the same length")

    def _energy_forces(self, pos, box):
        forces = np.zeros((self.n_atoms, 3), dtype=self.dtype)
        if len(self.indices) == 0:
            return 0.0, forces
        box, periodic = self._box_args(box)
        e = _periodic_kernel(
            pos, self.indices, self.periodicity, self.k, self.phase, box, periodic, forces
        )
        return e, forces


class RBTorsionTerm(ForceTermBase):
    """Ryckaert-Bellemans torsions ``E = sum_m C_m cos(phi - pi)^m``.

    Args:
        n_atoms: number of particles.
        indices: ``(n_torsions, 4)`` int.
        coefficients: ``(n_torsions, 6)`` C_0..C_5, kJ/mol.
    """

    def __init__(
        self,
        n_atoms: int,
        indices: ArrayLike,
        coefficients: ArrayLike,
        name: str = "rb_torsion",
        dtype: type = np.float64,
    ) -> None:
        super().__init__(n_atoms, dtype)
        self.name = name
        self.indices = _as_index(indices, 4, name, n_atoms)
        self.coefficients = np.ascontiguousarray(coefficients, dtype=self.dtype).reshape(-1, 6)
        if len(self.coefficients) != len(self.indices):
            raise ValueError(f"{name}: indices and coefficients must have the same length")

    def _energy_forces(self, pos, box):
        forces = np.zeros((self.n_atoms, 3), dtype=self.dtype)
        if len(self.indices) == 0:
            return 0.0, forces
        box, periodic = self._box_args(box)
        return _rb_kernel(pos, self.indices, self.coefficients, box, periodic, forces), forces


class HarmonicImproperTerm(ForceTermBase):
    """Harmonic impropers ``E = k w(phi - phi0)^2``.

    Args:
        n_atoms: number of particles.
        indices: ``(n_impropers, 4)`` int.
        k: ``(n_impropers,)`` kJ/mol/rad^2, any constant prefactor of the
            expression (e.g. GROMACS's 1/2) already folded in.
        phi0: ``(n_impropers,)`` rad.
        wrap: wrap ``phi - phi0`` onto (-pi, pi] (the periodic form force fields
            use); False evaluates the difference as is.
    """

    def __init__(
        self,
        n_atoms: int,
        indices: ArrayLike,
        k: ArrayLike,
        phi0: ArrayLike,
        wrap: bool = True,
        name: str = "improper",
        dtype: type = np.float64,
    ) -> None:
        super().__init__(n_atoms, dtype)
        self.name = name
        self.indices = _as_index(indices, 4, name, n_atoms)
        self.k = np.ascontiguousarray(k, dtype=self.dtype).reshape(-1)
        self.phi0 = np.ascontiguousarray(phi0, dtype=self.dtype).reshape(-1)
        self.wrap = bool(wrap)
        if not (len(self.k) == len(self.phi0) == len(self.indices)):
            raise ValueError(f"{name}: indices, k and phi0 must have the same length")

    def _energy_forces(self, pos, box):
        forces = np.zeros((self.n_atoms, 3), dtype=self.dtype)
        if len(self.indices) == 0:
            return 0.0, forces
        box, periodic = self._box_args(box)
        e = _improper_kernel(pos, self.indices, self.k, self.phi0, self.wrap, box, periodic, forces)
        return e, forces
