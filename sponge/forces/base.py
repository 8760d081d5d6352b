"""The one protocol every force term follows, and a small base class.

A force term maps positions ``(n_atoms, 3)`` nm (and an optional periodic box
``(3, 3)`` nm) to an energy in kJ/mol and forces ``(n_atoms, 3)`` in
kJ/mol/nm. The MD loop calls :meth:`ForceTerm.energy_forces`, a fused kernel;
:meth:`ForceTerm.energy` and :meth:`ForceTerm.energy_components` are for
analysis. Terms are stateless between calls (no cached results).

Every term is float64 by default; ``dtype=np.float32`` selects the fast path
(positions and parameters in float32, energies accumulated in float64).

Bonded terms follow OpenMM's default and do not wrap difference vectors;
setting ``term.periodic = True`` (OpenMM's ``setUsesPeriodicBoundaryConditions``)
applies the minimum image with the box passed to each call.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class ForceTerm(Protocol):
    """Protocol of a force term (classical or neural)."""

    name: str

    def energy(self, positions: np.ndarray, box: np.ndarray | None = None) -> float:
        """Potential energy, kJ/mol."""
        ...

    def energy_forces(
        self, positions: np.ndarray, box: np.ndarray | None = None
    ) -> tuple[float, np.ndarray]:
        """Energy (kJ/mol) and forces ``(n_atoms, 3)`` (kJ/mol/nm)."""
        ...

    def energy_components(
        self, positions: np.ndarray, box: np.ndarray | None = None
    ) -> dict[str, float]:
        """Energy split into named parts that sum to :meth:`energy`, kJ/mol."""
        ...


class ForceTermBase:
    """Shared plumbing: dtype handling and the default energy/components.

    Subclasses implement :meth:`_energy_forces` on positions already cast to
    ``self.dtype``; ``n_atoms`` is the number of particles of the system.
    """

    name: str = "term"
    periodic: bool = False

    def __init__(self, n_atoms: int, dtype: type = np.float64) -> None:
        if np.dtype(dtype) not in (np.dtype(np.float64), np.dtype(np.float32)):
            raise ValueError(
                f"{type(self).__name__}: dtype must be float64 or float32; got {dtype}"
            )
        self.n_atoms = int(n_atoms)
        self.dtype = np.dtype(dtype).type

    def _cast(self, positions: np.ndarray) -> np.ndarray:
        pos = np.ascontiguousarray(positions, dtype=self.dtype)
        if pos.ndim != 2 or pos.shape[1] != 3 or pos.shape[0] != self.n_atoms:
            raise ValueError(
                f"{self.name}: positions must have shape ({self.n_atoms}, 3); got {pos.shape}"
            )
        return pos

    def _box_args(self, box: np.ndarray | None) -> tuple[np.ndarray, bool]:
        """(box as a (3, 3) array of self.dtype, periodic flag) for the kernels."""
        if not self.periodic:
            return np.zeros((3, 3), dtype=self.dtype), False
        if box is None:
            raise ValueError(f"{self.name}: periodic term evaluated without a box")
        b = np.ascontiguousarray(box, dtype=self.dtype).reshape(3, 3)
        if b[0, 1] != 0 or b[0, 2] != 0 or b[1, 2] != 0 or np.any(np.diag(b) <= 0):
            raise ValueError(
                f"{self.name}: box must be in OpenMM's reduced form (a along x, b in the xy "
                f"plane, positive diagonal); got {b.tolist()}"
            )
        return b, True

    def _energy_forces(self, pos: np.ndarray, box: np.ndarray | None) -> tuple[float, np.ndarray]:
        raise NotImplementedError

    def energy_forces(
        self, positions: np.ndarray, box: np.ndarray | None = None
    ) -> tuple[float, np.ndarray]:
        """Energy (kJ/mol) and forces ``(n_atoms, 3)`` (kJ/mol/nm), fused kernel."""
        energy, forces = self._energy_forces(self._cast(positions), box)
        return float(energy), forces

    def energy(self, positions: np.ndarray, box: np.ndarray | None = None) -> float:
        """Potential energy, kJ/mol."""
        return self.energy_forces(positions, box)[0]

    def energy_components(
        self, positions: np.ndarray, box: np.ndarray | None = None
    ) -> dict[str, float]:
        """``{name: energy}``; terms with several parts override this."""
        return {self.name: self.energy(positions, box)}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, n_atoms={self.n_atoms})"
