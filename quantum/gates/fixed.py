"""Fixed (non-parameterized) gates: I, X, Y, Z, H, S, T, SX, SWAP, ISWAP, CNOT, CZ.

Matrices are MindQuantum's. ``S.hermitian()`` is ``S†`` (exported as
``Sdag``), likewise ``Tdag``, ``SXdag``, ``ISWAPdag``. ``CNOT`` and ``CZ`` are
``X`` and ``Z`` that require at least one control: ``CNOT.on(target, ctrl)``;
their ``matrix()`` is the uncontrolled 2x2 target matrix like every gate.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable

import numpy as np

from .basic import FixedGate

__all__ = [
    "IGate", "XGate", "YGate", "ZGate", "HGate", "SGate", "TGate", "SXGate",
    "SWAPGate", "ISWAPGate", "CNOTGate", "CZGate",
    "I", "X", "Y", "Z", "H", "S", "T", "SX", "SWAP", "ISWAP", "CNOT", "CZ",
    "Sdag", "Tdag", "SXdag", "ISWAPdag",
]

_SQ2 = 1.0 / np.sqrt(2.0)


class IGate(FixedGate):
    """Identity on one qubit."""

    def __init__(self) -> None:
        super().__init__("I", np.eye(2), self_adjoint=True)


class XGate(FixedGate):
    """Pauli X."""

    def __init__(self) -> None:
        super().__init__("X", [[0, 1], [1, 0]], self_adjoint=True)


class YGate(FixedGate):
    """Pauli Y."""

    def __init__(self) -> None:
        super().__init__("Y", [[0, -1j], [1j, 0]], self_adjoint=True)


class ZGate(FixedGate):
    """Pauli Z."""

    def __init__(self) -> None:
        super().__init__("Z", [[1, 0], [0, -1]], self_adjoint=True)


class HGate(FixedGate):
    """Hadamard."""

    def __init__(self) -> None:
        super().__init__("H", [[_SQ2, _SQ2], [_SQ2, -_SQ2]], self_adjoint=True)


class SGate(FixedGate):
    """S = diag(1, i); its dagger is S† = diag(1, -i)."""

    def __init__(self) -> None:
        super().__init__("S", [[1, 0], [0, 1j]])


class TGate(FixedGate):
    """T = diag(1, exp(i pi/4))."""

    def __init__(self) -> None:
        super().__init__("T", [[1, 0], [0, np.exp(0.25j * np.pi)]])


class SXGate(FixedGate):
    """Square root of X: [[1+i, 1-i], [1-i, 1+i]] / 2."""

    def __init__(self) -> None:
        super().__init__("SX", np.array([[1 + 1j, 1 - 1j], [1 - 1j, 1 + 1j]]) / 2)


class SWAPGate(FixedGate):
    """Swap of two qubits."""

    def __init__(self) -> None:
        m = np.eye(4)[[0, 2, 1, 3]]
        super().__init__("SWAP", m, self_adjoint=True)


class ISWAPGate(FixedGate):
    """iSWAP: |01> -> i|10>, |10> -> i|01>."""

    def __init__(self) -> None:
        m = np.array([[1, 0, 0, 0], [0, 0, 1j, 0], [0, 1j, 0, 0], [0, 0, 0, 1]])
        super().__init__("ISWAP", m)


class _NeedsControl:
    """Mixin: ``on`` must be given at least one control qubit."""

    needs_control = True
    target_label = "X"

    def on(self, obj_qubits: int | Iterable[int], ctrl_qubits: int | Iterable[int] | None = None):
        empty = ctrl_qubits is None or (
            not isinstance(ctrl_qubits, numbers.Integral) and len(list(ctrl_qubits)) == 0
        )
        if empty:
            raise ValueError(
                f"Gate {self.name} needs a control qubit: use {self.name}.on(target, ctrl)"
            )
        return super().on(obj_qubits, ctrl_qubits)

    def draw_label(self) -> str:
        return self.target_label  # drawn as the target gate: CNOT -> X, CZ -> Z


class CNOTGate(_NeedsControl, XGate):
    """Controlled X: ``CNOT.on(target, ctrl)``; the target matrix is X."""

    def __init__(self) -> None:
        super().__init__()
        self.name = "CNOT"


class CZGate(_NeedsControl, ZGate):
    """Controlled Z: ``CZ.on(target, ctrl)``; the target matrix is Z."""

    def __init__(self) -> None:
        super().__init__()
        self.name = "CZ"
        self.target_label = "Z"


I = IGate()
X = XGate()
Y = YGate()
Z = ZGate()
H = HGate()
S = SGate()
T = TGate()
SX = SXGate()
SWAP = SWAPGate()
ISWAP = ISWAPGate()
CNOT = CNOTGate()
CZ = CZGate()
Sdag = S.hermitian()
Tdag = T.hermitian()
SXdag = SX.hermitian()
ISWAPdag = ISWAP.hermitian()
