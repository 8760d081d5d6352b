"""Nonbonded interactions: LJ + Coulomb (cutoff, reaction field, Ewald, PME).

Public names: :class:`NonbondedTerm` (OpenMM's NonbondedForce), :class:`PMEReciprocal`,
:class:`EwaldReciprocal` and the parameter helpers in :mod:`.parameters`.
"""

# (OMP_WAIT_POLICY=PASSIVE is set in sponge/__init__.py, before numba starts threads.)
from .ewald import EwaldReciprocal
from .parameters import dispersion_coefficient, ewald_alpha, ewald_kmax, pme_grid
from .pme import PMEReciprocal, ewald_self_energy
from .term import NonbondedTerm

__all__ = [
    "NonbondedTerm",
    "PMEReciprocal",
    "EwaldReciprocal",
    "dispersion_coefficient",
    "ewald_alpha",
    "ewald_kmax",
    "pme_grid",
    "ewald_self_energy",
]
