"""Thermodynamic quantities of a configuration: kinetic energy, temperature, pressure.

Units: masses amu, velocities nm/ps, energies kJ/mol, temperature K,
volume nm^3, pressure bar. ``BOLTZ`` is k_B in kJ/mol/K (OpenMM's value).
The temperature is ``2 KE / (dof k_B)`` with ``dof`` the number of degrees of
freedom left after constraints and centre-of-mass motion removal
(:func:`degrees_of_freedom`); virtual sites (mass 0) have none.
"""

from __future__ import annotations

import numpy as np

#: Boltzmann constant, kJ/mol/K (CODATA 2018 k_B * N_A, as OpenMM).
BOLTZ = 1.380649e-23 * 6.02214076e23 / 1000.0
#: 1 bar expressed in kJ/mol/nm^3.
BAR_TO_KJ_MOL_NM3 = 1e5 * 1e-27 * 6.02214076e23 / 1000.0


def kinetic_energy(masses: np.ndarray, velocities: np.ndarray) -> float:
    """Kinetic energy ``sum 1/2 m v^2``, kJ/mol.

    Args:
        masses: ``(n_atoms,)`` amu (0 for virtual sites: they contribute nothing).
        velocities: ``(n_atoms, 3)`` nm/ps.
    """
    m = np.asarray(masses, dtype=np.float64)
    v = np.asarray(velocities, dtype=np.float64)
    return float(0.5 * np.einsum("i,ij,ij->", m, v, v))


def temperature(kinetic: float, dof: int) -> float:
    """Instantaneous temperature ``2 KE / (dof k_B)``, K (KE in kJ/mol)."""
    if dof <= 0:
        raise ValueError(f"temperature: degrees of freedom must be positive; got {dof}")
    return 2.0 * float(kinetic) / (dof * BOLTZ)


def degrees_of_freedom(system) -> int:
    """``3 N_real - n_constraints - (3 if system.remove_cm_motion)``.

    Virtual sites and other massless particles are not counted.
    """
    n_real = int(np.count_nonzero(np.asarray(system.masses) > 0))
    dof = 3 * n_real - len(system.constraints)
    if getattr(system, "remove_cm_motion", False):
        dof -= 3
    return int(dof)


def box_volume(box: np.ndarray) -> float:
    """Volume of a periodic box ``(3, 3)`` (rows are vectors), nm^3."""
    return float(abs(np.linalg.det(np.asarray(box, dtype=np.float64))))


def density(masses: np.ndarray, box: np.ndarray) -> float:
    """Mass density, g/mL, from masses (amu) and the box (nm)."""
    grams = float(np.sum(masses)) / 6.02214076e23
    return grams / (box_volume(box) * 1e-21)


def remove_com_velocity(masses: np.ndarray, velocities: np.ndarray) -> None:
    """Subtract the centre-of-mass velocity from every massive particle (in place)."""
    m = np.asarray(masses, dtype=np.float64)
    total = m.sum()
    if total <= 0:
        return
    vcm = (m @ velocities) / total
    velocities[m > 0] -= vcm


def maxwell_boltzmann(masses: np.ndarray, temperature_k: float,
                      rng: np.random.Generator) -> np.ndarray:
    """Velocities ``(n_atoms, 3)`` nm/ps drawn from Maxwell-Boltzmann at ``temperature_k``.

    Massless particles (virtual sites) get zero velocity.
    """
    m = np.asarray(masses, dtype=np.float64)
    sigma = np.sqrt(BOLTZ * float(temperature_k) / np.where(m > 0, m, 1.0))
    v = rng.standard_normal((len(m), 3)) * sigma[:, None]
    v[m <= 0] = 0.0
    return v
