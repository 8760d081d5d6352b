"""Loaders: OpenMM systems, Amber/PDB/GROMACS files (through OpenMM), SPONGE native text."""

from sponge.io.native import load_sponge, read_native
from sponge.io.openmm_files import load_amber, load_gromacs, load_pdb
from sponge.io.openmm_import import UnsupportedForceError, from_openmm
from sponge.io.validate import InputFileError

__all__ = [
    "InputFileError",
    "UnsupportedForceError",
    "from_openmm",
    "load_amber",
    "load_gromacs",
    "load_pdb",
    "load_sponge",
    "read_native",
]
