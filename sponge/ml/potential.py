"""``NeuralPotential``: a force term whose forces are minus the autodiff gradient of a model.

The model maps (species, positions, box) to an energy Tensor in kJ/mol. With
``atoms`` the model covers only that region (ML/MM, mechanical embedding): it
sees the region's positions and its forces land on those atoms; the classical
terms inside the region are removed beforehand by :func:`mlmm_openmm_system`.

Models that expose ``cutoff`` and ``energies(graph, x)`` (``SchNet``,
``BehlerParrinello``) get a Verlet neighbour list that is rebuilt only when an
atom has moved more than half the skin; any other callable model is called as
``model(species, x, box)``. During MD only the position path is recorded: the
model's parameters are frozen for the duration of the call.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

import core_autodiff as ad
from sponge.neighbor_list import NeighborList

from .graph import Graph
from .schnet_fused import UndirectedPairs


class NeuralPotential:
    """A neural-network potential as a sponge force term.

    Args:
        model: callable ``model(species, positions, box) -> energy Tensor`` (kJ/mol).
        atoms: indices of the atoms the model covers in the system (None: all atoms).
        species: ``(n_region,)`` species indices of those atoms (default: the
            model's ``species`` attribute, if it has one).
        n_atoms: number of particles of the whole system (default: len(species)
            when ``atoms`` is None, else max(atoms) + 1).
        skin: neighbour-list buffer, nm.
        name: term name in ``energy_terms``.
    """

    def __init__(self, model: Any, atoms: Sequence[int] | None = None,
                 species: Sequence[int] | None = None, n_atoms: int | None = None,
                 skin: float = 0.05, name: str = "neural") -> None:
        self.model = model
        if species is None:
            species = getattr(model, "species", None)
            if species is None:
                raise ValueError("NeuralPotential needs species= (one index per ML atom) or a "
                                 "model with a 'species' attribute")
        self.species = np.asarray(species, dtype=np.int64).reshape(-1)
        self.atoms = None if atoms is None else np.asarray(atoms, dtype=np.int64).reshape(-1)
        if self.atoms is not None:
            if len(self.atoms) != len(self.species):
                raise ValueError(f"NeuralPotential: {len(self.species)} species for "
                                 f"{len(self.atoms)} ML atoms")
            if len(np.unique(self.atoms)) != len(self.atoms):
                raise ValueError("NeuralPotential: atoms contains duplicates")
        if n_atoms is None:
            n_atoms = len(self.species) if self.atoms is None else int(self.atoms.max()) + 1
        self.n_atoms = int(n_atoms)
        if self.atoms is not None and self.atoms.max() >= self.n_atoms:
            raise ValueError(f"NeuralPotential: atom index {self.atoms.max()} >= n_atoms "
                             f"{self.n_atoms}")
        self.name = name
        self.skin = float(skin)
        self._graph_model = hasattr(model, "energies") and hasattr(model, "cutoff")
        self._nl: NeighborList | None = None
        self._graph: Graph | None = None
        self._periodic: bool | None = None

    def _region(self, positions: np.ndarray) -> np.ndarray:
        pos = np.asarray(positions, dtype=np.float64)
        if pos.shape != (self.n_atoms, 3):
            raise ValueError(f"{self.name}: positions must have shape ({self.n_atoms}, 3); "
                             f"got {pos.shape}")
        return pos if self.atoms is None else pos[self.atoms]

    def _graph_for(self, pos: np.ndarray, box: np.ndarray | None) -> Graph:
        periodic = box is not None
        n = len(pos)
        if self._nl is None or self._periodic != periodic:
            self._nl = NeighborList(n, self.model.cutoff, skin=self.skin, periodic=periodic)
            self._periodic = periodic
        if self._nl.update(pos, box) or self._graph is None:
            p = self._nl.pairs()
            a, b = np.minimum(p[:, 0], p[:, 1]), np.maximum(p[:, 0], p[:, 1])
            i = np.concatenate([a, b])
            j = np.concatenate([b, a])
            order = np.argsort(i, kind="stable")
            self._graph = Graph(self.species, i[order], j[order], np.zeros(n, np.int64), 1,
                                None if box is None else np.asarray(box, float)[None])
            # the unordered pairs behind the directed list, for fused models (no search)
            u = np.arange(len(p), dtype=np.int64)
            seg = np.searchsorted(self._graph.i, np.arange(n + 1)).astype(np.int64)
            self._graph._undirected = (self._graph.i, self._graph.j, UndirectedPairs(
                a, b, seg, self._graph.j, np.concatenate([u, u])[order]))
        elif periodic:
            self._graph.boxes = np.asarray(box, float)[None]
        return self._graph

    def _energy_tensor(self, x: ad.Tensor, pos: np.ndarray, box: np.ndarray | None) -> ad.Tensor:
        if self._graph_model:
            return self.model.energies(self._graph_for(pos, box), x).sum()
        return self.model(self.species, x, box)

    def energy_forces(self, positions: np.ndarray, box: np.ndarray | None = None
                      ) -> tuple[float, np.ndarray]:
        """Energy (kJ/mol) and forces ``(n_atoms, 3)`` kJ/mol/nm = -dE/dx."""
        pos = self._region(positions)
        if self._graph_model and hasattr(self.model, "energy_and_gradient"):
            # first order only: the model's fused path, no autodiff graph
            e_mol, grad = self.model.energy_and_gradient(self._graph_for(pos, box), pos)
            return float(e_mol.sum()), self._scatter_forces(grad)
        params = self.model.parameters() if hasattr(self.model, "parameters") else []
        flags = [p.requires_grad for p in params]
        for p in params:
            p.requires_grad = False
        try:
            # positions in the model's precision: no cast node on the hot path
            x = ad.tensor(pos.astype(getattr(self.model, "dtype", pos.dtype), copy=False),
                          requires_grad=True)
            with ad.enable_grad():
                e = self._energy_tensor(x, pos, box)
                (g,) = ad.autograd(e, x)
        finally:
            for p, f in zip(params, flags, strict=True):
                p.requires_grad = f
        return float(e.numpy()), self._scatter_forces(g.numpy())

    def _scatter_forces(self, grad: np.ndarray) -> np.ndarray:
        forces = np.zeros((self.n_atoms, 3))
        if self.atoms is None:
            forces[:] = -grad
        else:
            forces[self.atoms] = -grad
        return forces

    def energy(self, positions: np.ndarray, box: np.ndarray | None = None) -> float:
        """Energy, kJ/mol."""
        pos = self._region(positions)
        with ad.no_grad():
            return float(self._energy_tensor(ad.tensor(pos), pos, box).numpy())

    def energy_components(self, positions: np.ndarray, box: np.ndarray | None = None
                          ) -> dict[str, float]:
        return {self.name: self.energy(positions, box)}


def mlmm_openmm_system(openmm_system: Any, ml_atoms: Sequence[int]) -> Any:
    """A copy of an OpenMM System with the classical interactions inside ``ml_atoms`` removed.

    Mechanical embedding (as OpenMM-ML's ``createMixedSystem``): bonded terms
    whose atoms all lie in the region are dropped; nonbonded pairs inside the
    region become zero exceptions; interactions between the region and the
    rest are kept. Add a :class:`NeuralPotential` with ``atoms=ml_atoms`` to the
    translated system for the region's own energy.

    Raises:
        ValueError: an atom index is out of range.
    """
    import openmm

    region = set(int(a) for a in ml_atoms)
    n = openmm_system.getNumParticles()
    if not region or min(region) < 0 or max(region) >= n:
        raise ValueError(f"ml_atoms must be non-empty indices in [0, {n})")
    sys2 = openmm.XmlSerializer.deserialize(openmm.XmlSerializer.serialize(openmm_system))
    inside = lambda *idx: all(int(i) in region for i in idx)  # noqa: E731
    for f in sys2.getForces():
        if isinstance(f, openmm.HarmonicBondForce):
            for k in range(f.getNumBonds()):
                a, b, r0, kk = f.getBondParameters(k)
                if inside(a, b):
                    f.setBondParameters(k, a, b, r0, 0.0)
        elif isinstance(f, openmm.HarmonicAngleForce):
            for k in range(f.getNumAngles()):
                a, b, c, t0, kk = f.getAngleParameters(k)
                if inside(a, b, c):
                    f.setAngleParameters(k, a, b, c, t0, 0.0)
        elif isinstance(f, openmm.PeriodicTorsionForce):
            for k in range(f.getNumTorsions()):
                a, b, c, d, per, ph, kk = f.getTorsionParameters(k)
                if inside(a, b, c, d):
                    f.setTorsionParameters(k, a, b, c, d, per, ph, 0.0)
        elif isinstance(f, openmm.RBTorsionForce):
            for k in range(f.getNumTorsions()):
                a, b, c, d, *cs = f.getTorsionParameters(k)
                if inside(a, b, c, d):
                    f.setTorsionParameters(k, a, b, c, d, 0, 0, 0, 0, 0, 0)
        elif isinstance(f, openmm.CustomTorsionForce):
            for k in range(f.getNumTorsions()):
                a, b, c, d, pars = f.getTorsionParameters(k)
                if inside(a, b, c, d):
                    raise ValueError("mlmm_openmm_system: a CustomTorsionForce term lies inside "
                                     "the ML region; remove it before building the ML/MM system")
        elif isinstance(f, openmm.CMAPTorsionForce):
            for k in range(f.getNumTorsions()):
                m, *idx = f.getTorsionParameters(k)
                if inside(*idx):
                    raise ValueError("mlmm_openmm_system: a CMAP term lies inside the ML region; "
                                     "remove the CMAPTorsionForce before building the ML/MM system")
        elif isinstance(f, openmm.NonbondedForce):
            existing = {}
            for k in range(f.getNumExceptions()):
                a, b, *_ = f.getExceptionParameters(k)
                existing[(min(a, b), max(a, b))] = k
            atoms = sorted(region)
            for x in range(len(atoms)):
                for y in range(x + 1, len(atoms)):
                    key = (atoms[x], atoms[y])
                    if key in existing:
                        f.setExceptionParameters(existing[key], key[0], key[1], 0.0, 1.0, 0.0)
                    else:
                        f.addException(key[0], key[1], 0.0, 1.0, 0.0)
    return sys2
