"""sponge: molecular dynamics on numpy/numba.

Public names: :func:`from_openmm`, :func:`load_amber`, :func:`load_pdb`,
:func:`load_gromacs`, :func:`load_sponge`, :class:`System`, :class:`State`.
Units: nm, ps, kJ/mol, amu, e.
"""

from sponge.io import (
    InputFileError,
    UnsupportedForceError,
    from_openmm,
    load_amber,
    load_gromacs,
    load_pdb,
    load_sponge,
)
from sponge.state import State
from sponge.system import Constraints, System
from sponge.topology import Topology
from sponge.virtual_sites import VirtualSites

__all__ = [
    "Constraints",
    "InputFileError",
    "State",
    "System",
    "Topology",
    "UnsupportedForceError",
    "VirtualSites",
    "from_openmm",
    "load_amber",
    "load_gromacs",
    "load_pdb",
    "load_sponge",
]

# --- simulation loop, reporters (md-b) ---
from sponge.reporters import (  # noqa: E402
    CheckpointReporter,
    DCDReporter,
    PDBReporter,
    ProgressReporter,
    Reporter,
    StateDataReporter,
    XTCReporter,
)
from sponge.simulation import Simulation  # noqa: E402

__all__ += [
    "CheckpointReporter",
    "DCDReporter",
    "PDBReporter",
    "ProgressReporter",
    "Reporter",
    "Simulation",
    "StateDataReporter",
    "XTCReporter",
]
