"""quantum.chem: fermion operators, fermion-to-qubit maps, molecules, ansatze and VQE.

MindQuantum-style names: ``FermionOperator``, ``InteractionOperator``,
``Transform(op).jordan_wigner()``, ``uccsd_singlet_generator``, ``TimeEvolution``,
``HardwareEfficientAnsatz``, ``get_qubit_hamiltonian``. Molecules ship as PySCF-made
``.npz`` files: ``load_molecule("H2", 0.7414).hamiltonian()``.
"""

from .ansatz import (
    UCCSD,
    HardwareEfficientAnsatz,
    TimeEvolution,
    get_reference_circuit,
    uccsd_amplitudes_from_cc,
    uccsd_singlet_generator,
)
from .fermion_operator import (
    FermionOperator,
    hermitian_conjugated,
    normal_ordered,
    number_operator,
)
from .interaction_operator import InteractionOperator, get_fermion_operator, spinorb_from_spatial
from .molecule import (
    MolecularData,
    available_molecules,
    from_pyscf,
    get_qubit_hamiltonian,
    load_molecule,
)
from .transforms import Transform, bravyi_kitaev, encoding_matrix, jordan_wigner, parity
from .vqe import VQE, VQEResult

__all__ = [
    "FermionOperator", "normal_ordered", "hermitian_conjugated", "number_operator",
    "InteractionOperator", "get_fermion_operator", "spinorb_from_spatial",
    "Transform", "jordan_wigner", "parity", "bravyi_kitaev", "encoding_matrix",
    "MolecularData", "load_molecule", "from_pyscf", "available_molecules",
    "get_qubit_hamiltonian",
    "UCCSD", "HardwareEfficientAnsatz", "TimeEvolution", "get_reference_circuit",
    "uccsd_singlet_generator", "uccsd_amplitudes_from_cc",
    "VQE", "VQEResult",
]
