"""The two force paths checked against each other: fused numba kernels vs core_autodiff.

Each bonded energy is written a second time with ``core_autodiff`` ops
(gather, cross products by einsum, arctan2, ...); the fused kernel's forces
must equal minus the autodiff gradient (1e-9 relative to the largest
component), and its energy the autodiff energy (1e-12 relative).
"""

from __future__ import annotations

import numpy as np
import pytest

from sponge.forces import (
    CMAPTerm,
    HarmonicAngleTerm,
    HarmonicBondTerm,
    HarmonicImproperTerm,
    PeriodicTorsionTerm,
    RBTorsionTerm,
)

ad = pytest.importorskip("core_autodiff")

N = 16
EPS = np.zeros((3, 3, 3))
EPS[0, 1, 2] = EPS[1, 2, 0] = EPS[2, 0, 1] = 1.0
EPS[0, 2, 1] = EPS[2, 1, 0] = EPS[1, 0, 2] = -1.0


def _cross(a, b):
    return ad.einsum("ijk,nj,nk->ni", ad.tensor(EPS), a, b)


def _dot(a, b):
    return ad.sum(a * b, axis=1)


def _rows(x, idx):
    return ad.take(x, np.ascontiguousarray(idx))


def _dihedral(x, idx):
    p = [_rows(x, idx[:, k]) for k in range(4)]
    d0, d1, d2 = p[0] - p[1], p[2] - p[1], p[2] - p[3]
    c0, c1 = _cross(d0, d1), _cross(d1, d2)
    return ad.arctan2(ad.safe_norm(d1, axis=1) * _dot(d0, c1), _dot(c0, c1))


def bond_energy(x, idx, k, r0):
    r = ad.safe_norm(_rows(x, idx[:, 1]) - _rows(x, idx[:, 0]), axis=1)
    return ad.sum(0.5 * k * (r - r0) ** 2)


def angle_energy(x, idx, k, theta0):
    a = _rows(x, idx[:, 0]) - _rows(x, idx[:, 1])
    b = _rows(x, idx[:, 2]) - _rows(x, idx[:, 1])
    theta = ad.arctan2(ad.safe_norm(_cross(a, b), axis=1), _dot(a, b))
    return ad.sum(0.5 * k * (theta - theta0) ** 2)


def torsion_energy(x, idx, n, k, phase):
    return ad.sum(k * (1.0 + ad.cos(n * _dihedral(x, idx) - phase)))


def rb_energy(x, idx, c):
    cpsi = ad.cos(_dihedral(x, idx) - np.pi)
    total = 0.0
    power = 1.0
    for m in range(6):
        total = total + ad.sum(c[:, m] * power)
        power = power * cpsi
    return total


def improper_energy(x, idx, k, phi0):
    d = _dihedral(x, idx) - phi0
    d = ad.arctan2(ad.sin(d), ad.cos(d))       # wrap onto (-pi, pi]
    return ad.sum(k * d * d)


def cmap_energy(x, idx, term):
    """OpenMM's bicubic patch evaluation, with the patch choice taken from the values."""
    delta = 2 * np.pi / term.map_size[0]
    angles = []
    for cols in (idx[:, :4], idx[:, 4:]):
        a = _dihedral(x, cols)
        a = a + 2 * np.pi * (np.asarray(a.data) < 0)   # onto [0, 2 pi)
        angles.append(a / delta)
    cell = [np.minimum(np.floor(np.asarray(a.data)).astype(int), term.map_size[0] - 1)
            for a in angles]
    u, v = angles[0] - cell[0], angles[1] - cell[1]
    coeff = term.coefficients[cell[0] + term.map_size[0] * cell[1]]   # (m, 16), map 0
    total = 0.0
    for i in range(4):
        for j in range(4):
            total = total + ad.sum(coeff[:, 4 * i + j] * u**i * v**j)
    return total


def _case(name):
    rng = np.random.default_rng(42)
    m = 12
    pairs = np.array([rng.choice(N, 2, replace=False) for _ in range(m)])
    triples = np.array([rng.choice(N, 3, replace=False) for _ in range(m)])
    quads = np.array([rng.choice(N, 4, replace=False) for _ in range(m)])
    k = rng.uniform(10.0, 500.0, m)
    if name == "bond":
        r0 = rng.uniform(0.1, 0.3, m)
        return HarmonicBondTerm(N, pairs, k, r0), lambda x: bond_energy(x, pairs, k, r0)
    if name == "angle":
        t0 = rng.uniform(1.5, 2.5, m)
        return HarmonicAngleTerm(N, triples, k, t0), lambda x: angle_energy(x, triples, k, t0)
    if name == "torsion":
        n = rng.integers(1, 5, m).astype(float)
        ph = rng.uniform(-np.pi, np.pi, m)
        return (PeriodicTorsionTerm(N, quads, n, k, ph),
                lambda x: torsion_energy(x, quads, n, k, ph))
    if name == "rb_torsion":
        c = rng.normal(size=(m, 6)) * 5.0
        return RBTorsionTerm(N, quads, c), lambda x: rb_energy(x, quads, c)
    if name == "improper":
        phi0 = rng.uniform(-np.pi, np.pi, m)
        return (HarmonicImproperTerm(N, quads, k, phi0, wrap=True),
                lambda x: improper_energy(x, quads, k, phi0))
    if name == "cmap":
        chains = np.array([rng.choice(N, 5, replace=False) for _ in range(m)])
        idx = np.concatenate([chains[:, :4], chains[:, 1:]], axis=1)
        term = CMAPTerm(N, [rng.normal(size=24 * 24) * 5.0], np.zeros(m, np.int64), idx)
        return term, lambda x: cmap_energy(x, idx, term)
    raise KeyError(name)


@pytest.mark.parametrize("name", ["bond", "angle", "torsion", "rb_torsion", "improper", "cmap"])
def test_fused_forces_equal_minus_autodiff_gradient(name):
    term, energy_fn = _case(name)
    for seed in range(3):
        pos = np.random.default_rng(seed).uniform(0.0, 0.7, size=(N, 3))
        e, f = term.energy_forces(pos)
        x = ad.tensor(pos, requires_grad=True)
        e_ad = float(np.asarray(energy_fn(x).data))
        g = np.asarray(ad.grad(energy_fn)(x).data)
        assert e == pytest.approx(e_ad, rel=1e-12)
        np.testing.assert_allclose(f, -g, rtol=0, atol=1e-9 * np.abs(g).max())
