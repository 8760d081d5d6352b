"""Force terms: one protocol (:class:`ForceTerm`), fused numba energy+force kernels."""

from sponge.forces.base import ForceTerm, ForceTermBase
from sponge.forces.bonded import HarmonicAngleTerm, HarmonicBondTerm
from sponge.forces.cmap import CMAPTerm
from sponge.forces.torsion import HarmonicImproperTerm, PeriodicTorsionTerm, RBTorsionTerm

__all__ = [
    "CMAPTerm",
    "ForceTerm",
    "ForceTermBase",
    "HarmonicAngleTerm",
    "HarmonicBondTerm",
    "HarmonicImproperTerm",
    "PeriodicTorsionTerm",
    "RBTorsionTerm",
]
