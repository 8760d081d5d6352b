"""The fused first-order SchNet path (MD energy + forces without an autodiff graph)
against the autodiff model and finite differences."""

import numpy as np
import pytest

from sponge.ml import Graph, NeuralPotential, SchNet, build_graph
from sponge.ml import schnet_fused as fz

rng = np.random.default_rng(11)


def water_box(n_side=3, spacing=0.31):
    o = np.array([[i, j, k] for i in range(n_side) for j in range(n_side)
                  for k in range(n_side)], float) * spacing + 0.1
    o += rng.normal(0, 0.01, o.shape)
    pos = np.stack([o, o + [0.0957, 0, 0], o + [-0.024, 0.0927, 0]], 1).reshape(-1, 3)
    return np.tile([0, 1, 2], len(o)), pos, np.eye(3) * n_side * spacing


def model(dtype=np.float64, seed=1):
    m = SchNet(3, n_features=12, n_interactions=2, n_rbf=10, cutoff=0.45, seed=seed,
               dtype=dtype)
    # non-zero biases and shifts, so every term of the reverse pass is exercised
    for p in m.parameters():
        if p.data.ndim == 1:
            p.data[...] = rng.normal(0, 0.3, p.data.shape)
    m.energy_scale = 7.0
    return m


def autodiff(m, g, x):
    return fz._autodiff_energy_and_gradient(m, g, np.asarray(x, m.dtype))


@pytest.mark.parametrize("periodic", [True, False])
def test_fused_equals_autodiff_float64(periodic):
    species, pos, box = water_box()
    m = model()
    pot = NeuralPotential(m, species=species, skin=0.0)
    g = pot._graph_for(pos, box if periodic else None)
    assert fz.undirected_pairs(g) is not None
    e1, g1 = m.energy_and_gradient(g, pos)
    e2, g2 = autodiff(m, g, pos)
    np.testing.assert_allclose(e1, e2, rtol=1e-12)
    np.testing.assert_allclose(g1, g2, rtol=0, atol=1e-11 * np.abs(g2).max())
    # the pair map NeuralPotential builds equals the one searched from the pair list
    g_copy = Graph(g.species, g.i, g.j, g.mol, g.n_mol, g.boxes)
    e3, g3 = m.energy_and_gradient(g_copy, pos)
    np.testing.assert_allclose(e3, e1, rtol=1e-14)
    np.testing.assert_allclose(g3, g1, rtol=0, atol=1e-13 * np.abs(g1).max())


def test_fused_float32_equals_autodiff_to_round_off():
    species, pos, box = water_box()
    m = model(np.float32)
    g = NeuralPotential(m, species=species)._graph_for(pos, box)
    e1, g1 = m.energy_and_gradient(g, pos)
    e2, g2 = autodiff(m, g, pos)
    assert e1.dtype == np.float32 and g1.dtype == np.float32
    np.testing.assert_allclose(e1, e2, rtol=2e-6)
    np.testing.assert_allclose(g1, g2, rtol=0, atol=2e-6 * np.abs(g2).max())


def test_fused_batch_of_configurations_and_forces_vs_finite_differences():
    species, pos, box = water_box()
    m = model()
    confs = np.stack([pos, pos + rng.normal(0, 0.01, pos.shape)])
    g = build_graph(species, confs, np.broadcast_to(box, (2, 3, 3)), m.cutoff)
    x = confs.reshape(-1, 3)
    e1, g1 = m.energy_and_gradient(g, x)
    e2, g2 = autodiff(m, g, x)
    assert e1.shape == (2,)
    np.testing.assert_allclose(e1, e2, rtol=1e-12)
    np.testing.assert_allclose(g1, g2, rtol=0, atol=1e-11 * np.abs(g2).max())
    # outside reference: central differences of the fused energy
    h = 1e-6
    for a, k in [(0, 0), (5, 2), (40, 1), (81 + 7, 0)]:
        xp, xm = x.copy(), x.copy()
        xp[a, k] += h
        xm[a, k] -= h
        fd = (m.energy_and_gradient(g, xp)[0].sum() - m.energy_and_gradient(g, xm)[0].sum())
        assert g1[a, k] == pytest.approx(fd / (2 * h), rel=1e-6, abs=1e-6)


def test_one_directional_graph_falls_back_to_autodiff():
    species, pos, box = water_box(2)
    m = model()
    g = build_graph(species, pos, box, m.cutoff)
    keep = g.i < g.j
    g1 = Graph(g.species, g.i[keep], g.j[keep], g.mol, 1, g.boxes)
    assert fz.undirected_pairs(g1) is None
    e1, gr1 = m.energy_and_gradient(g1, pos)
    e2, gr2 = autodiff(m, g1, pos)
    np.testing.assert_allclose(e1, e2, rtol=1e-14)
    np.testing.assert_allclose(gr1, gr2, rtol=1e-14, atol=0)


def test_fused_path_names_a_bad_species():
    species, pos, box = water_box(2)
    m = model()
    species[4] = 3
    g = build_graph(species, pos, box, m.cutoff)
    with pytest.raises(ValueError, match="atom 4 has species 3"):
        m.energy_and_gradient(g, pos)


def test_parallel_kernels_equal_serial():
    n, u, f = 7, 9, 5
    a = rng.integers(0, n - 1, u)
    b = a + 1 + rng.integers(0, n - 1 - a)  # a < b
    i, j = np.concatenate([a, b]), np.concatenate([b, a])
    order = np.argsort(i, kind="stable")
    seg = np.searchsorted(i[order], np.arange(n + 1)).astype(np.int64)
    pair = np.concatenate([np.arange(u), np.arange(u)])[order]
    x, w = rng.standard_normal((n, f)), rng.standard_normal((u, f))
    outs = []
    for kern in (fz._messages_serial, fz._messages_parallel):
        out = np.zeros((n, f))
        kern(x, w, seg, j[order], pair, out)
        outs.append(out)
    ref = np.zeros((n, f))
    np.add.at(ref, i, x[j] * w[np.concatenate([np.arange(u), np.arange(u)])])
    np.testing.assert_allclose(outs[0], ref, rtol=1e-13)
    np.testing.assert_allclose(outs[1], ref, rtol=1e-13)
    gm, a2, fc = rng.standard_normal((n, f)), rng.standard_normal((u, f)), rng.random(u)
    t = gm[a] * x[b] + gm[b] * x[a]
    for kern in (fz._filter_grad_serial, fz._filter_grad_parallel):
        ga2, gfc = np.empty((u, f)), np.ones(u)
        kern(gm, x, a2, fc, a, b, ga2, gfc, 0.0)
        np.testing.assert_allclose(ga2, t * fc[:, None], rtol=1e-13)
        np.testing.assert_allclose(gfc, 1 + (t * a2).sum(1), rtol=1e-12)


def test_scratch_arrays_reused_across_pair_counts():
    """One model, graphs of different sizes in turn: the kept scratch arrays (sliced
    to each pair count) give the autodiff result every time."""
    m = model()
    for n_side in (4, 3, 4, 3):
        species, pos, box = water_box(n_side)
        g = NeuralPotential(m, species=species)._graph_for(pos, box)
        e1, g1 = m.energy_and_gradient(g, pos)
        e2, g2 = autodiff(m, g, pos)
        np.testing.assert_allclose(e1, e2, rtol=1e-12)
        np.testing.assert_allclose(g1, g2, rtol=0, atol=1e-11 * np.abs(g2).max())
