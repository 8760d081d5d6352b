"""sponge: molecular dynamics on numpy/numba.

Public names: :func:`from_openmm`, :func:`load_amber`, :func:`load_pdb`,
:func:`load_gromacs`, :func:`load_sponge`, :class:`System`, :class:`State`,
and the force-term protocol :class:`ForceTerm`. Units: nm, ps, kJ/mol, amu, e.
Enhanced sampling: :class:`SITS`, :class:`Metadynamics` (on the CVs of
:mod:`sponge.cv`), :class:`MetaITS`, :class:`CombinedBias`, with
:class:`CVReporter` and :mod:`sponge.analysis` (reweighting, PMFs).

Example:
    >>> import sponge
    >>> system, state = sponge.load_amber("x.parm7", "x.rst7", nonbonded="PME")  # doctest: +SKIP
    >>> system.energy_terms(state)      # {"bond": ..., "angle": ..., "lj": ..., ...} kJ/mol
    >>> system.forces(state)            # (n_atoms, 3) kJ/mol/nm
"""

import os as _os

# numba's OpenMP workers spin between parallel regions by default; on small shared
# machines that starves the other threads (measured 3-4x slower at 2 threads). Wait
# passively unless the user chose otherwise; must be set before numba starts threads.
_os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


from sponge.forces import ForceTerm, ForceTermBase
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
    "ForceTerm",
    "ForceTermBase",
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

# md-a: integrators, constraints, barostat, minimizer, quantities, errors
from sponge import quantities  # noqa: E402
from sponge.barostat import MonteCarloBarostat, find_molecules  # noqa: E402
from sponge.constraints import ConstraintSolver  # noqa: E402
from sponge.errors import ConstraintError, SimulationInstabilityError  # noqa: E402
from sponge.integrators import (  # noqa: E402
    BussiThermostatIntegrator,
    Integrator,
    LangevinMiddleIntegrator,
    NoseHooverChainIntegrator,
    VelocityVerletIntegrator,
)
from sponge.minimize import minimize  # noqa: E402

__all__ += [
    "BussiThermostatIntegrator",
    "ConstraintError",
    "ConstraintSolver",
    "Integrator",
    "LangevinMiddleIntegrator",
    "MonteCarloBarostat",
    "NoseHooverChainIntegrator",
    "SimulationInstabilityError",
    "VelocityVerletIntegrator",
    "find_molecules",
    "minimize",
    "quantities",
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

# --- machine-learned potentials (sponge.ml) ---
from sponge.ml import NeuralPotential  # noqa: E402

__all__ += ["NeuralPotential"]

from sponge import analysis  # noqa: E402
from sponge.sits import SITS  # noqa: E402

__all__ += ["SITS", "analysis"]

# --- collective variables, metadynamics, MetaITS (metad) ---
from sponge import cv  # noqa: E402
from sponge.bias import CombinedBias  # noqa: E402
from sponge.metadynamics import Metadynamics  # noqa: E402
from sponge.metaits import MetaITS  # noqa: E402
from sponge.reporters.cv import CVReporter  # noqa: E402

__all__ += ["CVReporter", "CombinedBias", "MetaITS", "Metadynamics", "cv"]
