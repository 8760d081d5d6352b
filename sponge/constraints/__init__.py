"""Holonomic distance constraints: SETTLE for rigid water, SHAKE/RATTLE otherwise.

Public names: :class:`ConstraintSolver` (what integrators and the minimizer
use), and the kernels :func:`settle_positions`, :func:`settle_velocities`,
:func:`shake_positions`, :func:`rattle_velocities`.
"""

from sponge.constraints.settle import settle_positions, settle_velocities
from sponge.constraints.shake import rattle_velocities, shake_positions
from sponge.constraints.solver import (
    ConstraintSolver,
    constrain_positions,
    constrain_velocities,
)

__all__ = [
    "ConstraintSolver",
    "constrain_positions",
    "constrain_velocities",
    "rattle_velocities",
    "settle_positions",
    "settle_velocities",
    "shake_positions",
]
