"""Non-unitary circuit elements: measurement and barrier.

They have no ``matrix``; simulators recognise them by class
(``isinstance(g, MeasureGate)``, ``isinstance(g, BarrierGate)``).
"""

from __future__ import annotations

from collections.abc import Iterable

from .basic import BasicGate, check_qubits

__all__ = ["MeasureGate", "Measure", "BarrierGate", "BARRIER"]


class MeasureGate(BasicGate):
    """Computational-basis measurement of one qubit, stored under ``key``.

    ``Measure("m0").on(0)``; without a key the key is ``"q{qubit}"``.
    """

    def __init__(self, key: str | None = None) -> None:
        super().__init__("M", 1)
        if key is not None and (not isinstance(key, str) or not key):
            raise TypeError(f"Measure key must be a non-empty str, got {key!r}")
        self.key = key

    def on(self, obj_qubits: int | Iterable[int], ctrl_qubits: None = None) -> MeasureGate:
        """Place on one qubit; measurements cannot be controlled."""
        if ctrl_qubits is not None and ctrl_qubits != []:
            raise ValueError(f"Measure gate cannot have control qubits, got {ctrl_qubits}")
        new = super().on(obj_qubits, None)
        if new.key is None:
            new.key = f"q{new.obj_qubits[0]}"
        return new

    def label(self) -> str:
        return f"M({self.key})"

    def __str__(self) -> str:
        return f"M({self.key}|{' '.join(map(str, self.obj_qubits))})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, BasicGate):
            return NotImplemented
        return self._same_placement(other) and self.key == getattr(other, "key", None)

    __hash__ = None  # type: ignore[assignment]


Measure = MeasureGate


class BarrierGate(BasicGate):
    """Barrier on any qubits (no effect on the state; separates layers in drawings)."""

    def __init__(self, show: bool = True) -> None:
        super().__init__("BARRIER", None)
        self.show = show

    def on(self, obj_qubits: int | Iterable[int], ctrl_qubits: None = None) -> BarrierGate:
        """Place on ``obj_qubits`` (any number); barriers cannot be controlled."""
        if ctrl_qubits is not None and ctrl_qubits != []:
            raise ValueError("BarrierGate cannot have control qubits")
        obj, _ = check_qubits(self.name, None, obj_qubits, None)
        new = self._copy()
        new.obj_qubits = obj
        return new


BARRIER = BarrierGate()
