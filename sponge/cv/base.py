"""Collective variables: the protocol every CV follows, and periodic helpers.

A collective variable (CV) maps positions ``(n_atoms, 3)`` nm (and an
optional periodic box ``(3, 3)`` nm, rows a, b, c in OpenMM's reduced form)
to one number ``s``: nm for distances and RMSD, radians for angles and
dihedrals. Every CV offers

* ``value(positions, box=None) -> float``;
* ``value_and_gradient(positions, box=None) -> (float, (n_atoms, 3))``, the
  gradient ``ds/dx`` in units of s per nm;
* the fast path biases use, ``local(positions, box) -> (float, (len(atoms), 3))``
  with the gradient on ``self.atoms`` only.

With a box every difference vector takes the minimum image. A periodic CV
(the dihedral, period ``2 pi`` on ``(-pi, pi]``) sets ``periodic = True`` and
``period``/``bounds``; :func:`periodic_difference` wraps ``a - b`` into
``[-period/2, period/2)``.
"""

from __future__ import annotations

import math

import numpy as np


def periodic_difference(a, b, period: float | None):
    """``a - b``, wrapped into ``[-period/2, period/2)`` when ``period`` is set."""
    d = np.asarray(a, dtype=np.float64) - b
    if period is None:
        return d
    return d - period * np.floor(d / period + 0.5)


def check_atoms(atoms, count: int | None, who: str) -> np.ndarray:
    """Atom indices as an int64 array (``count`` of them when given), validated."""
    a = np.asarray(atoms, dtype=np.int64).reshape(-1)
    if count is not None and len(a) != count:
        raise ValueError(f"{who}: expected {count} atom indices, got {len(a)}: {a.tolist()}")
    if len(a) == 0:
        raise ValueError(f"{who}: no atoms given")
    if np.any(a < 0):
        raise ValueError(f"{who}: negative atom index in {a.tolist()}")
    if count is not None and len(set(a.tolist())) != len(a):
        raise ValueError(f"{who}: atom indices must be distinct; got {a.tolist()}")
    return a


def reduced_box(box, who: str) -> np.ndarray | None:
    """``box`` as a (3, 3) float64 array in OpenMM's reduced form, or None."""
    if box is None:
        return None
    b = np.asarray(box, dtype=np.float64)
    if b.shape == (3,):
        b = np.diag(b)
    if b.shape != (3, 3):
        raise ValueError(f"{who}: box must be (3, 3) nm; got shape {b.shape}")
    if b[0, 1] != 0 or b[0, 2] != 0 or b[1, 2] != 0 or np.any(np.diag(b) <= 0):
        raise ValueError(f"{who}: box must be in OpenMM's reduced form (a along x, b in the "
                         f"xy plane, positive diagonal); got {b.tolist()}")
    return b


class CollectiveVariable:
    """Base class of collective variables.

    Subclasses set ``atoms`` (int array) and implement :meth:`local`.

    Attributes:
        name: label used in reporters, hills files and error messages.
        atoms: indices of the atoms the CV depends on.
        periodic: True for a periodic CV (the dihedral).
        period: the period (s units) or None.
        bounds: ``(low, high)`` range of a periodic CV, else None.
        units: "nm" or "rad".
    """

    name: str = "cv"
    periodic: bool = False
    period: float | None = None
    bounds: tuple[float, float] | None = None
    units: str = "nm"
    atoms: np.ndarray

    def _positions(self, positions) -> np.ndarray:
        pos = np.asarray(positions, dtype=np.float64)
        if pos.ndim != 2 or pos.shape[1] != 3:
            raise ValueError(f"CV {self.name!r}: positions must be (n_atoms, 3) nm; "
                             f"got shape {pos.shape}")
        top = int(self.atoms.max())
        if top >= pos.shape[0]:
            raise ValueError(f"CV {self.name!r}: atom index {top} out of range for "
                             f"{pos.shape[0]} atoms")
        return pos

    def local(self, positions: np.ndarray, box: np.ndarray | None = None
              ) -> tuple[float, np.ndarray]:
        """Value and gradient on ``self.atoms`` only, ``(len(atoms), 3)``."""
        raise NotImplementedError

    def value_and_gradient(self, positions: np.ndarray, box: np.ndarray | None = None
                           ) -> tuple[float, np.ndarray]:
        """Value and gradient ``ds/dx`` as a full ``(n_atoms, 3)`` array (s units per nm)."""
        pos = self._positions(positions)
        s, g = self.local(pos, box)
        full = np.zeros_like(pos)
        np.add.at(full, self.atoms, g)
        return s, full

    def value(self, positions: np.ndarray, box: np.ndarray | None = None) -> float:
        """The CV value (nm or rad)."""
        return self.local(self._positions(positions), box)[0]

    def difference(self, a, b):
        """``a - b`` in this CV's space (wrapped for a periodic CV)."""
        return periodic_difference(a, b, self.period)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, atoms={self.atoms.tolist()})"


TWO_PI = 2.0 * math.pi
