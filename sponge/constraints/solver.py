"""One object that holds all of a system's constraints and applies them.

:class:`ConstraintSolver` splits ``system.constraints`` into rigid 3-site
waters, solved analytically by SETTLE, and everything else (bonds to
hydrogen, all bonds, H-angles), solved by SHAKE/RATTLE iteration. A water is
recognised as three atoms joined by exactly three constraints, with two equal
constrained distances from one atom (O) to two atoms of equal mass (H), and no
other constraint touching them: the same rule OpenMM uses to pick SETTLE.

The fused kernels :func:`constrain_positions` and :func:`constrain_velocities`
are numba functions so integrator kernels can call them without leaving
compiled code; they return ``(kind, index)`` with ``kind`` 0 (converged),
1 (SETTLE failed for water ``index``) or 2 (SHAKE/RATTLE did not converge;
``index`` is the worst constraint).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from sponge.constraints.settle import settle_positions, settle_velocities
from sponge.constraints.shake import rattle_velocities, shake_positions
from sponge.errors import ConstraintError


@njit(cache=True)
def constrain_positions(ref, new, waters, m_o, m_h, d_oh, d_hh, pairs, dist, inv_mass,
                        tol, max_iter):
    """SETTLE the waters and SHAKE the other constraints of ``new`` (in place)."""
    if waters.shape[0] > 0:
        bad = settle_positions(ref, new, waters, m_o, m_h, d_oh, d_hh)
        if bad >= 0:
            return 1, bad
    if pairs.shape[0] > 0:
        it, worst = shake_positions(ref, new, pairs, dist, inv_mass, tol, max_iter)
        if worst >= 0:
            return 2, worst
    return 0, -1


@njit(cache=True)
def constrain_velocities(pos, vel, waters, pairs, dist, inv_mass, tol, max_iter):
    """Remove the velocity components along every constraint (in place)."""
    if waters.shape[0] > 0:
        settle_velocities(pos, vel, waters, inv_mass)
    if pairs.shape[0] > 0:
        it, worst = rattle_velocities(pos, vel, pairs, dist, inv_mass, tol, max_iter)
        if worst >= 0:
            return 2, worst
    return 0, -1


def _find_waters(pairs: np.ndarray, dist: np.ndarray, masses: np.ndarray,
                 rtol: float = 1e-9) -> tuple[np.ndarray, np.ndarray]:
    """``(waters (n_w, 3), is_water_constraint (m,))`` following the SETTLE rule."""
    m = len(pairs)
    by_atom: dict[int, list[int]] = {}
    for k, (i, j) in enumerate(pairs.tolist()):
        by_atom.setdefault(i, []).append(k)
        by_atom.setdefault(j, []).append(k)
    used = np.zeros(m, dtype=bool)
    waters = []
    for k in range(m):
        if used[k]:
            continue
        i, j = pairs[k]
        if len(by_atom[i]) != 2 or len(by_atom[j]) != 2:
            continue
        cons = sorted(set(by_atom[i]) | set(by_atom[j]))
        atoms = sorted({int(a) for c in cons for a in pairs[c]})
        if len(cons) != 3 or len(atoms) != 3 or any(len(by_atom[a]) != 2 for a in atoms):
            continue
        d = {frozenset(map(int, pairs[c])): float(dist[c]) for c in cons}
        for o in atoms:
            h1, h2 = [a for a in atoms if a != o]
            d1, d2 = d[frozenset((o, h1))], d[frozenset((o, h2))]
            if (abs(d1 - d2) <= rtol * d1 and abs(masses[h1] - masses[h2]) <= rtol * masses[h1]
                    and masses[o] > 0 and masses[h1] > 0):
                waters.append((o, h1, h2))
                used[cons] = True
                break
    return np.asarray(waters, dtype=np.int64).reshape(-1, 3), used


class ConstraintSolver:
    """SETTLE + SHAKE/RATTLE for a set of distance constraints.

    Args:
        masses: ``(n_atoms,)`` amu.
        indices: ``(m, 2)`` int constrained pairs.
        distances: ``(m,)`` nm.
        tolerance: relative tolerance of SHAKE/RATTLE (SETTLE is exact).
        max_iterations: SHAKE/RATTLE iteration limit.
        use_settle: solve rigid waters analytically (default True).

    Raises:
        ValueError: naming the constraint that involves a massless particle or an
            atom index out of range.
    """

    def __init__(self, masses: np.ndarray, indices: np.ndarray, distances: np.ndarray,
                 tolerance: float = 1e-10, max_iterations: int = 1000,
                 use_settle: bool = True) -> None:
        masses = np.asarray(masses, dtype=np.float64)
        n = len(masses)
        pairs = np.asarray(indices, dtype=np.int64).reshape(-1, 2)
        dist = np.asarray(distances, dtype=np.float64).reshape(-1)
        if len(pairs) != len(dist):
            raise ValueError(f"constraints: {len(pairs)} pairs but {len(dist)} distances")
        for k, (i, j) in enumerate(pairs.tolist()):
            if not (0 <= i < n and 0 <= j < n) or i == j:
                raise ValueError(f"constraint {k} joins atoms ({i}, {j}); valid atoms 0..{n - 1}")
            if masses[i] <= 0 or masses[j] <= 0:
                raise ValueError(f"constraint {k} joins atoms ({i}, {j}); one is massless "
                                 f"(masses {masses[i]}, {masses[j]})")
            if dist[k] <= 0:
                raise ValueError(
                    f"constraint {k} ({i}, {j}) has distance {dist[k]} nm; must be > 0")
        self.n_constraints = len(pairs)
        self.all_pairs = pairs
        self.all_distances = dist
        self.inv_mass = np.where(masses > 0, 1.0 / np.where(masses > 0, masses, 1.0), 0.0)
        self.tolerance = float(tolerance)
        self.max_iterations = int(max_iterations)
        if use_settle and len(pairs):
            waters, used = _find_waters(pairs, dist, masses)
        else:
            waters, used = np.zeros((0, 3), np.int64), np.zeros(len(pairs), bool)
        self.waters = waters
        dm = {frozenset(map(int, p)): float(d) for p, d in zip(pairs, dist, strict=True)}
        self.m_o = masses[waters[:, 0]].copy()
        self.m_h = masses[waters[:, 1]].copy()
        self.d_oh = np.array([dm[frozenset((int(o), int(h)))] for o, h, _ in waters])
        self.d_hh = np.array([dm[frozenset((int(a), int(b)))] for _, a, b in waters])
        self.pairs = np.ascontiguousarray(pairs[~used])
        self.distances = np.ascontiguousarray(dist[~used])

    @classmethod
    def from_system(cls, system, **kwargs) -> ConstraintSolver:
        """Solver for ``system.constraints`` with ``system.masses``."""
        c = system.constraints
        return cls(system.masses, c.indices, c.distances, **kwargs)

    def __len__(self) -> int:
        return self.n_constraints

    def args_positions(self) -> tuple:
        """Constraint arguments of the integrator kernels (positions stage; no inv_mass)."""
        return (self.waters, self.m_o, self.m_h, self.d_oh, self.d_hh, self.pairs,
                self.distances, self.tolerance, self.max_iterations)

    def args_velocities(self) -> tuple:
        """Constraint arguments of the integrator kernels (velocity stage; no inv_mass)."""
        return (self.waters, self.pairs, self.distances, self.tolerance, self.max_iterations)

    def describe_failure(self, kind: int, index: int) -> str:
        """Message naming the water or constraint (and its atoms) that failed."""
        if kind == 1:
            o, h1, h2 = self.waters[index]
            return f"SETTLE failed for water {index} (atoms {o}, {h1}, {h2})"
        i, j = self.pairs[index]
        return (f"SHAKE/RATTLE did not converge in {self.max_iterations} iterations "
                f"(worst: constraint between atoms {i} and {j}, {self.distances[index]} nm)")

    def failure_atoms(self, kind: int, index: int) -> list[int]:
        """Atoms of the water or constraint that failed."""
        if kind == 1:
            return [int(a) for a in self.waters[index]]
        return [int(a) for a in self.pairs[index]]

    def apply_positions(self, ref: np.ndarray, new: np.ndarray) -> None:
        """Constrain ``new`` ``(n, 3)`` in place; ``ref`` satisfies the constraints.

        Raises:
            ConstraintError: naming the water or constraint that failed.
        """
        if self.n_constraints == 0:
            return
        kind, index = constrain_positions(
            ref, new, self.waters, self.m_o, self.m_h, self.d_oh, self.d_hh, self.pairs,
            self.distances, self.inv_mass, self.tolerance, self.max_iterations)
        if kind:
            raise ConstraintError(self.describe_failure(kind, index))

    def apply_velocities(self, pos: np.ndarray, vel: np.ndarray) -> None:
        """Remove velocity components along the constraints (in place).

        Raises:
            ConstraintError: naming the constraint that did not converge.
        """
        if self.n_constraints == 0:
            return
        kind, index = constrain_velocities(pos, vel, self.waters, self.pairs, self.distances,
                                           self.inv_mass, self.tolerance, self.max_iterations)
        if kind:
            raise ConstraintError(self.describe_failure(kind, index))

    def max_relative_error(self, pos: np.ndarray) -> float:
        """``max_k | |r_k| - d_k | / d_k`` over all constraints (0 when none)."""
        if self.n_constraints == 0:
            return 0.0
        r = pos[self.all_pairs[:, 0]] - pos[self.all_pairs[:, 1]]
        return float(np.max(np.abs(np.linalg.norm(r, axis=1) - self.all_distances)
                            / self.all_distances))
