"""Collective variables for biasing and analysis (metadynamics, CV reporter, PMFs).

Public names: :class:`CollectiveVariable` (base), :class:`Position`,
:class:`Distance`, :class:`Angle`, :class:`Dihedral` (periodic, ``2 pi``),
:class:`RMSD` (Kabsch alignment, exact gradient), :class:`LinearCombination`,
and :func:`periodic_difference`. Every CV has ``value(positions, box)`` and
``value_and_gradient(positions, box) -> (s, (n_atoms, 3))``; with a box the
minimum image is used.

Example:
    >>> from sponge.cv import Dihedral
    >>> phi = Dihedral(4, 6, 8, 14, name="phi")
    >>> s, grad = phi.value_and_gradient(state.positions, state.box)   # doctest: +SKIP
"""

from sponge.cv.base import CollectiveVariable, periodic_difference
from sponge.cv.combination import LinearCombination
from sponge.cv.geometric import Angle, Dihedral, Distance, Position
from sponge.cv.rmsd import RMSD, kabsch_rotation

__all__ = [
    "RMSD",
    "Angle",
    "CollectiveVariable",
    "Dihedral",
    "Distance",
    "LinearCombination",
    "Position",
    "kabsch_rotation",
    "periodic_difference",
]
