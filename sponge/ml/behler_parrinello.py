"""Behler-Parrinello / ANI-style model: symmetry functions and one MLP per element.

E = sum_i MLP_{species(i)}(G_i) + shift_{species(i)}; the descriptors are
standardised by per-feature scales fitted on training data
(:meth:`BehlerParrinello.fit_scaling`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

import core_autodiff as ad
from core_autodiff import nn

from .atomic import AtomicPotential
from .graph import Graph, build_graph
from .symmetry import SymmetryFunctions


class BehlerParrinello(AtomicPotential):
    """Per-element MLPs on atom-centred symmetry functions.

    Args:
        n_species: number of elements (species indices 0..S-1).
        hidden: hidden layer widths of each element's MLP.
        descriptor: :class:`SymmetryFunctions` (default settings if None).
        activation: MLP activation (default "silu"; smooth, so forces are smooth).
        seed, dtype: initialisation.
    """

    def __init__(self, n_species: int, hidden: Sequence[int] = (64, 64),
                 descriptor: SymmetryFunctions | None = None, activation: str = "silu",
                 seed: int = 0, dtype: Any = np.float64) -> None:
        super().__init__()
        self.n_species = int(n_species)
        self.descriptor = descriptor or SymmetryFunctions(n_species)
        if self.descriptor.n_species != n_species:
            raise ValueError("descriptor.n_species differs from n_species")
        self.cutoff = self.descriptor.cutoff
        rng = np.random.default_rng(seed)
        nf = self.descriptor.n_features
        for s in range(n_species):
            setattr(self, f"net{s}", nn.MLP([nf, *hidden, 1], activation=activation, seed=rng,
                                            dtype=dtype))
        self.atom_shift = nn.Parameter(np.zeros(n_species, dtype=dtype))
        self.feature_mean = np.zeros(nf)
        self.feature_scale = np.ones(nf)

    def fit_scaling(self, species: np.ndarray, positions: np.ndarray,
                    boxes: np.ndarray | None = None) -> None:
        """Standardise descriptors with their mean and spread over these configurations."""
        with ad.no_grad():
            g = build_graph(species, positions, boxes, self.cutoff)
            x = ad.tensor(np.asarray(positions, dtype=np.float64).reshape(-1, 3))
            feats = self.descriptor(g, x).numpy()
        self.feature_mean = feats.mean(0)
        self.feature_scale = np.where(feats.std(0) > 1e-8, feats.std(0), 1.0)

    def atomic_energies(self, g: Graph, x: ad.Tensor) -> ad.Tensor:
        """Per-atom energies ``(N,)`` kJ/mol."""
        feats = (self.descriptor(g, x) - self.feature_mean) * (1.0 / self.feature_scale)
        parts, order = [], []
        for s in range(self.n_species):
            idx = np.nonzero(g.species == s)[0]
            if idx.size == 0:
                continue
            e = getattr(self, f"net{s}")(ad.take(feats, idx))
            parts.append(ad.reshape(e, (-1,)))
            order.append(idx)
        if not parts:
            return ad.tensor(np.zeros(0))
        idx = np.concatenate(order)
        e = ad.concatenate(parts, axis=0)
        e_atoms = ad.scatter_add(e, idx, g.n_atoms)
        return e_atoms + ad.take(self.atom_shift, g.species)
