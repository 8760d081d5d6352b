"""Base class of atom-additive potentials: E = sum over atoms of an atomic energy."""

from __future__ import annotations

from typing import Any

import numpy as np

import core_autodiff as ad
from core_autodiff import nn

from .graph import Graph, build_graph


class AtomicPotential(nn.Module):
    """A model with ``atomic_energies(graph, x) -> (n_atoms,)`` and a ``cutoff`` (nm).

    Subclasses (SchNet, Behler-Parrinello) define ``atomic_energies``; the per-
    configuration sums and the one-configuration call are shared here.
    """

    cutoff: float
    n_species: int

    def check_species(self, g: Graph) -> None:
        """Raise ValueError when a species index of ``g`` lies outside [0, n_species)."""
        if g.species.size and (g.species.min() < 0 or g.species.max() >= self.n_species):
            bad = int(np.flatnonzero((g.species < 0) | (g.species >= self.n_species))[0])
            raise ValueError(
                f"species indices must lie in [0, {self.n_species}); atom {bad} has species "
                f"{int(g.species[bad])} (range {g.species.min()}..{g.species.max()})"
            )

    def atomic_energies(self, g: Graph, x: ad.Tensor) -> ad.Tensor:  # pragma: no cover
        raise NotImplementedError

    def energies(self, g: Graph, x: ad.Tensor) -> ad.Tensor:
        """Energies ``(n_mol,)`` kJ/mol of the configurations in ``g`` at positions ``x`` (N, 3)."""
        return ad.segment_sum(self.atomic_energies(g, x), g.mol, g.n_mol)

    def forward(self, species: np.ndarray, positions: Any, box: np.ndarray | None = None):
        """Energy (scalar Tensor, kJ/mol) of one configuration; ``positions`` (n, 3) nm."""
        x = positions if isinstance(positions, ad.Tensor) else ad.tensor(positions)
        g = build_graph(species, x.data, box, self.cutoff)
        return self.energies(g, x).sum()
