"""SchNet-style message passing (Schütt et al., J. Chem. Phys. 148, 241722 (2018)).

Atoms start from a learned embedding of their species; each interaction block
passes continuous-filter convolutions over the neighbour pairs,
``m_i = sum_j x_j * W(r_ij) * f_cut(r_ij)`` with the filter ``W`` a small
network of Gaussian radial features, followed by atom-wise layers and a
residual update. An atom-wise network maps the final features to atomic
energies, summed per configuration. Built from gather/scatter primitives, so
forces (first derivative) and force-matching training (second) come from the
autodiff core. Energies in kJ/mol, distances in nm.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import core_autodiff as ad
from core_autodiff import nn

from .atomic import AtomicPotential
from .graph import Graph, cosine_cutoff, gaussian_rbf, pair_vectors

_LOG2 = float(np.log(2.0))


def shifted_softplus(x: ad.Tensor) -> ad.Tensor:
    """softplus(x) - log 2 (zero at zero), SchNet's activation."""
    return ad.softplus(x, shift=_LOG2)


class Interaction(nn.Module):
    """One continuous-filter convolution block with a residual update."""

    def __init__(self, n_features: int, n_rbf: int, n_filters: int, rng: np.random.Generator,
                 dtype: Any) -> None:
        super().__init__()
        self.filter1 = nn.Linear(n_rbf, n_filters, seed=rng, dtype=dtype)
        self.filter2 = nn.Linear(n_filters, n_filters, seed=rng, dtype=dtype)
        self.in2f = nn.Linear(n_features, n_filters, bias=False, seed=rng, dtype=dtype)
        self.f2out = nn.Linear(n_filters, n_features, seed=rng, dtype=dtype)
        self.dense = nn.Linear(n_features, n_features, seed=rng, dtype=dtype)

    def forward(self, h: ad.Tensor, rbf: ad.Tensor, fcut: ad.Tensor, g: Graph) -> ad.Tensor:
        w = self.filter2(shifted_softplus(self.filter1(rbf))) * ad.reshape(fcut, (-1, 1))
        x = self.in2f(h)
        m = ad.weighted_segment_sum(x, w, g.j, g.i, g.n_atoms)
        v = self.dense(shifted_softplus(self.f2out(m)))
        return h + v


class SchNet(AtomicPotential):
    """SchNet energy model.

    Args:
        n_species: number of species indices the model knows (0..n_species-1).
        n_features: atom feature width F.
        n_interactions: number of interaction blocks.
        n_rbf: Gaussian radial features per pair, centres spread over [0, cutoff].
        cutoff: interaction cutoff, nm (cosine cutoff function).
        n_filters: filter width (default F).
        seed: weight initialisation seed.
        dtype: float64 (default) or float32.

    Call ``model(species, positions, box)`` for one configuration's energy
    (a scalar Tensor, kJ/mol), or ``model.energies(graph, x)`` for a batch.
    """

    def __init__(self, n_species: int, n_features: int = 64, n_interactions: int = 3,
                 n_rbf: int = 32, cutoff: float = 0.5, n_filters: int | None = None,
                 seed: int = 0, dtype: Any = np.float64) -> None:
        super().__init__()
        rng = np.random.default_rng(seed)
        self.n_species = int(n_species)
        self.cutoff = float(cutoff)
        self.dtype = np.dtype(dtype)
        self.centers = np.linspace(0.0, cutoff, n_rbf).astype(dtype)
        spacing = self.centers[1] - self.centers[0]
        self.gamma = 0.5 / spacing**2
        nf = n_filters or n_features
        self.embedding = nn.Parameter((rng.standard_normal((n_species, n_features))
                                       / np.sqrt(n_features)).astype(dtype))
        self.interactions = nn.Sequential(*[Interaction(n_features, n_rbf, nf, rng, dtype)
                                            for _ in range(n_interactions)])
        self.out1 = nn.Linear(n_features, max(1, n_features // 2), seed=rng, dtype=dtype)
        self.out2 = nn.Linear(max(1, n_features // 2), 1, seed=rng, dtype=dtype)
        self.atom_shift = nn.Parameter(np.zeros(n_species, dtype=dtype))
        self.energy_scale = 1.0

    def atomic_energies(self, g: Graph, x: ad.Tensor) -> ad.Tensor:
        """Per-atom energies ``(N,)`` kJ/mol."""
        self.check_species(g)
        x = ad.astype(x, self.dtype)  # positions in the weights' precision (float32 models)
        r = ad.safe_norm(pair_vectors(g, x), axis=-1)
        rbf = gaussian_rbf(r, self.centers, self.gamma)
        fcut = cosine_cutoff(r, self.cutoff)
        h = ad.take(self.embedding, g.species)
        for k in range(len(self.interactions)):
            h = self.interactions[k](h, rbf, fcut, g)
        e = self.out2(shifted_softplus(self.out1(h)))
        return ad.reshape(e, (-1,)) * self.energy_scale + ad.take(self.atom_shift, g.species)

    def energy_and_gradient(self, g: Graph, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Energies ``(n_mol,)`` kJ/mol and ``d(sum E)/dx`` ``(N, 3)`` kJ/mol/nm, first order
        only, without an autodiff graph (the MD fast path, :mod:`sponge.ml.schnet_fused`)."""
        from .schnet_fused import energy_and_gradient

        return energy_and_gradient(self, g, x)
