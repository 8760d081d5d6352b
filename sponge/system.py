"""System: particles, force terms, constraints, virtual sites and box of a model.

A :class:`System` is the static description of what is simulated; the
changing configuration is a :class:`sponge.State`. Energies are in kJ/mol,
forces in kJ/mol/nm. Evaluation protocol, used by every entry point:

1. virtual-site positions are computed from their parents (on a copy of the
   positions: the state is never modified);
2. each term's fused ``energy_forces`` is called;
3. forces on virtual sites are moved onto their parent atoms.

Example:
    >>> system, state = sponge.load_amber("x.parm7", "x.rst7")   # doctest: +SKIP
    >>> system.energy_terms(state)      # {"bond": ..., "angle": ..., ...}
    >>> system.forces(state).shape      # (n_atoms, 3)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sponge.forces.base import ForceTerm
from sponge.state import State
from sponge.topology import Topology
from sponge.virtual_sites import VirtualSites


@dataclass
class Constraints:
    """Distance constraints ``|r_i - r_j| = d``.

    Attributes:
        indices: ``(n_constraints, 2)`` int.
        distances: ``(n_constraints,)`` nm.
    """

    indices: np.ndarray = field(default_factory=lambda: np.zeros((0, 2), dtype=np.int64))
    distances: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def __len__(self) -> int:
        return len(self.distances)


class System:
    """A molecular model: particles, force terms and everything static.

    Args:
        masses: ``(n_atoms,)`` amu (0 for virtual sites).
        charges: ``(n_atoms,)`` elementary charges (informational; the
            nonbonded term holds its own copy).
        terms: force terms following :class:`sponge.forces.ForceTerm`.
        box: ``(3, 3)`` default periodic box vectors, nm, or None.
        constraints: distance constraints.
        virtual_sites: virtual-site definitions.
        topology: names of atoms and residues.
        remove_cm_motion: integrators remove centre-of-mass motion when True.
        cm_motion_interval: steps between removals (OpenMM's frequency).

    Attributes:
        terms: the list of force terms; ``energy_terms`` keys come from their
            ``energy_components``.
    """

    def __init__(
        self,
        masses: np.ndarray,
        charges: np.ndarray | None = None,
        terms: list[ForceTerm] | None = None,
        box: np.ndarray | None = None,
        constraints: Constraints | None = None,
        virtual_sites: VirtualSites | None = None,
        topology: Topology | None = None,
        remove_cm_motion: bool = False,
        cm_motion_interval: int = 1,
    ) -> None:
        self.masses = np.asarray(masses, dtype=np.float64).reshape(-1)
        n = len(self.masses)
        self.charges = (
            np.zeros(n) if charges is None else np.asarray(charges, dtype=np.float64).reshape(-1)
        )
        if len(self.charges) != n:
            raise ValueError(f"System: {len(self.charges)} charges for {n} particles")
        self.terms: list[ForceTerm] = list(terms or [])
        self.box = None if box is None else np.asarray(box, dtype=np.float64).reshape(3, 3)
        self.constraints = constraints if constraints is not None else Constraints()
        self.virtual_sites = virtual_sites if virtual_sites is not None else VirtualSites(n)
        self.topology = topology
        self.remove_cm_motion = bool(remove_cm_motion)
        self.cm_motion_interval = int(cm_motion_interval)

    @property
    def n_atoms(self) -> int:
        """Number of particles, virtual sites included."""
        return len(self.masses)

    def add_term(self, term: ForceTerm) -> None:
        """Append a force term (its ``name`` must be new)."""
        if any(t.name == term.name for t in self.terms):
            raise ValueError(f"System already has a term named {term.name!r}")
        self.terms.append(term)

    def term(self, name: str) -> ForceTerm:
        """The term called ``name``."""
        for t in self.terms:
            if t.name == name:
                return t
        raise KeyError(f"no term {name!r}; terms: {[t.name for t in self.terms]}")

    # -- evaluation -----------------------------------------------------------------
    def _prepare(self, state: State) -> tuple[np.ndarray, np.ndarray | None]:
        pos = np.array(state.positions, dtype=np.float64)
        if pos.shape != (self.n_atoms, 3):
            raise ValueError(
                f"state has positions of shape {pos.shape}; system has {self.n_atoms} particles"
            )
        box = state.box if state.box is not None else self.box
        self.virtual_sites.compute_positions(pos)
        return pos, box

    def energy_terms(self, state: State) -> dict[str, float]:
        """Energy of every term, split into components (kJ/mol); they sum to the total."""
        pos, box = self._prepare(state)
        out: dict[str, float] = {}
        for t in self.terms:
            for k, v in t.energy_components(pos, box).items():
                out[k] = out.get(k, 0.0) + float(v)
        return out

    def potential_energy(self, state: State) -> float:
        """Total potential energy, kJ/mol."""
        return self.energy_forces(state)[0]

    def energy_forces(self, state: State) -> tuple[float, np.ndarray]:
        """Total energy (kJ/mol) and forces ``(n_atoms, 3)`` kJ/mol/nm (sites zeroed)."""
        pos, box = self._prepare(state)
        total = 0.0
        forces = np.zeros((self.n_atoms, 3))
        for t in self.terms:
            e, f = t.energy_forces(pos, box)
            total += e
            forces += f
        self.virtual_sites.distribute_forces(pos, forces)
        return total, forces

    def forces(self, state: State) -> np.ndarray:
        """Forces ``(n_atoms, 3)`` kJ/mol/nm, virtual-site forces moved onto parents."""
        return self.energy_forces(state)[1]

    def term_forces(self, state: State) -> dict[str, np.ndarray]:
        """Forces of each term separately (sites redistributed), for debugging."""
        pos, box = self._prepare(state)
        out = {}
        for t in self.terms:
            f = np.array(t.energy_forces(pos, box)[1], dtype=np.float64)
            out[t.name] = self.virtual_sites.distribute_forces(pos, f)
        return out

    def __repr__(self) -> str:
        return (
            f"System(n_atoms={self.n_atoms}, terms={[t.name for t in self.terms]}, "
            f"constraints={len(self.constraints)}, virtual_sites={len(self.virtual_sites)}, "
            f"periodic={self.box is not None})"
        )
