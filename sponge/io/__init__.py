"""Loaders: OpenMM systems, Amber/PDB/GROMACS files (through OpenMM), SPONGE native text."""

from sponge.io.openmm_import import UnsupportedForceError, from_openmm

__all__ = ["UnsupportedForceError", "from_openmm"]
