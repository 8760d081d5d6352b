"""The README's main job: a short run of the force-matching example learns."""

import importlib.util
from pathlib import Path

import numpy as np

import core_autodiff as ad

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "core_autodiff" / "fit_lj_cluster.py"


def _load():
    spec = importlib.util.spec_from_file_location("fit_lj_cluster", EXAMPLE)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_lj_reference_forces_are_minus_gradient():
    mod = _load()
    rng = np.random.default_rng(0)
    pos, _, f = mod.make_dataset(1, rng)
    h = 1e-6
    num = np.zeros(3)
    for k in range(3):
        p = pos[0].copy()
        p[2, k] += h
        ep = mod.lj_reference(p)[0]
        p[2, k] -= 2 * h
        em = mod.lj_reference(p)[0]
        num[k] = -(ep - em) / (2 * h)
    np.testing.assert_allclose(f[0][2], num, rtol=1e-6)


def test_short_training_reduces_force_error():
    mod = _load()
    rng = np.random.default_rng(1)
    pos, e_ref, f_ref = mod.make_dataset(48, rng)
    model = mod.PairPotential(seed=1)
    opt = ad.optim.Adam(model.parameters(), lr=1e-2)

    def force_rmse():
        x = ad.tensor(pos.reshape(-1, 3), requires_grad=True)
        g = ad.grad(lambda x: model(x, 48).sum())(x.numpy())
        return float(np.sqrt(np.mean((-g.numpy() - f_ref.reshape(-1, 3)) ** 2)))

    def loss_fn(p, f):
        n = p.shape[0]
        x = ad.tensor(p.reshape(-1, 3), requires_grad=True)
        (g,) = ad.autograd(model(x, n).sum(), x, create_graph=True)
        return ad.mean((g + f.reshape(-1, 3)) ** 2)

    before = force_rmse()
    for _ in range(150):
        _, grads = ad.value_and_grad(loss_fn, argnums=None, params=model.parameters(),
                                     allow_unused=True)(pos, f_ref)
        opt.step(grads)
    after = force_rmse()
    assert after < 0.5 * before, (before, after)
