"""Quantum gates (MindQuantum conventions): classes and ready-made instances.

``gates.X.on(1, 0)`` is X on qubit 1 controlled by qubit 0;
``gates.RX("a").on(0)`` a parameterized rotation. See :mod:`.basic` for the
gate protocol shared by every gate.
"""

from .basic import BasicGate, FixedGate, QuantumGate, check_qubits, check_unitary
from .channels import (
    AmplitudeDampingChannel,
    BitFlipChannel,
    BitPhaseFlipChannel,
    DepolarizingChannel,
    KrausChannel,
    NoiseChannel,
    PauliChannel,
    PhaseDampingChannel,
    PhaseFlipChannel,
    ThermalRelaxationChannel,
)
from .custom import ParameterizedMatrixGate, UnivMathGate, gene_univ_parameterized_gate
from .fixed import (
    CNOT,
    CZ,
    ISWAP,
    SWAP,
    SX,
    CNOTGate,
    CZGate,
    H,
    HGate,
    I,
    IGate,
    ISWAPdag,
    ISWAPGate,
    S,
    Sdag,
    SGate,
    SWAPGate,
    SXdag,
    SXGate,
    T,
    Tdag,
    TGate,
    X,
    XGate,
    Y,
    YGate,
    Z,
    ZGate,
)
from .measure import BARRIER, BarrierGate, Measure, MeasureGate
from .parametric import (
    RX,
    RY,
    RZ,
    U3,
    FSim,
    Givens,
    GlobalPhase,
    ParameterGate,
    PauliRotation,
    PhaseShift,
    Rxx,
    Rxy,
    Rxz,
    Ryy,
    Ryz,
    Rzz,
    SWAPalpha,
    pauli_string_matrix,
)

__all__ = [
    "BasicGate", "QuantumGate", "FixedGate", "ParameterGate", "PauliRotation",
    "check_qubits", "check_unitary", "pauli_string_matrix",
    "IGate", "XGate", "YGate", "ZGate", "HGate", "SGate", "TGate", "SXGate",
    "SWAPGate", "ISWAPGate", "CNOTGate", "CZGate",
    "I", "X", "Y", "Z", "H", "S", "T", "SX", "SWAP", "ISWAP", "CNOT", "CZ",
    "Sdag", "Tdag", "SXdag", "ISWAPdag",
    "RX", "RY", "RZ", "Rxx", "Ryy", "Rzz", "Rxy", "Rxz", "Ryz",
    "PhaseShift", "GlobalPhase", "U3", "FSim", "Givens", "SWAPalpha",
    "UnivMathGate", "ParameterizedMatrixGate", "gene_univ_parameterized_gate",
    "MeasureGate", "Measure", "BarrierGate", "BARRIER",
    "NoiseChannel", "PauliChannel", "BitFlipChannel", "PhaseFlipChannel", "BitPhaseFlipChannel",
    "DepolarizingChannel", "AmplitudeDampingChannel", "PhaseDampingChannel", "KrausChannel",
    "ThermalRelaxationChannel",
]
