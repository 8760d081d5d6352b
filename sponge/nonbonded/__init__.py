"""Nonbonded interactions: LJ + Coulomb (cutoff, reaction field, Ewald, PME).

Public names: :class:`NonbondedTerm` (OpenMM's NonbondedForce), :class:`PMEReciprocal`,
:class:`EwaldReciprocal` and the parameter helpers in :mod:`.parameters`.
"""

import os

# numba's OpenMP layer spins idle threads after every parallel region by default; the
# nonbonded evaluation alternates short numba regions with scipy.fft threads and Python,
# and spinning threads starve them (3-4x slower at 2 threads on a shared machine).
# Sleep instead, unless the user chose a policy. Must run before OpenMP is first loaded.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from .ewald import EwaldReciprocal  # noqa: E402
from .parameters import dispersion_coefficient, ewald_alpha, ewald_kmax, pme_grid  # noqa: E402
from .pme import PMEReciprocal, ewald_self_energy  # noqa: E402
from .term import NonbondedTerm  # noqa: E402

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
