"""Modules, parameters, state dicts, optimizers."""

import numpy as np
import pytest

import core_autodiff as ad
from core_autodiff import nn, optim

rng = np.random.default_rng(7)


class Energy(nn.Module):
    def __init__(self):
        super().__init__()
        self.mlp = nn.MLP([3, 5, 1], activation="silu", seed=0)
        self.scale = nn.Parameter(np.ones(1))

    def forward(self, x):
        return self.mlp(x).sum() * self.scale


def test_parameters_registered_on_assignment_with_names():
    m = Energy()
    names = [n for n, _ in m.named_parameters()]
    assert names == ["scale", "mlp.layers.0.weight", "mlp.layers.0.bias",
                     "mlp.layers.1.weight", "mlp.layers.1.bias"] or set(names) == {
        "scale", "mlp.layers.0.weight", "mlp.layers.0.bias", "mlp.layers.1.weight",
        "mlp.layers.1.bias"}
    assert m.num_parameters() == 1 + 3 * 5 + 5 + 5 + 1
    m.scale = nn.Parameter(np.full(1, 2.0))  # re-assignment replaces, no duplicate
    assert len(m.parameters()) == 5


def test_module_without_super_init_gives_clear_error():
    class Bad(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(np.ones(2))

    with pytest.raises(RuntimeError, match="super"):
        Bad()


def test_state_dict_round_trip_and_errors(tmp_path):
    a, b = Energy(), Energy()
    for p in b.parameters():
        p.data = p.data + 1.0
    x = rng.standard_normal((4, 3))
    assert not np.isclose(a(x).item(), b(x).item())
    np.savez(tmp_path / "w.npz", **a.state_dict())
    b.load_state_dict(dict(np.load(tmp_path / "w.npz")))
    np.testing.assert_allclose(a(x).numpy(), b(x).numpy())
    with pytest.raises(KeyError, match="missing"):
        b.load_state_dict({"scale": np.ones(1)})
    bad = a.state_dict()
    bad["scale"] = np.ones(3)
    with pytest.raises(ValueError, match="scale"):
        b.load_state_dict(bad)


def test_linear_shape_error_names_sizes():
    with pytest.raises(ValueError, match="last axis 3"):
        nn.Linear(3, 2)(ad.tensor(np.ones((2, 4))))


def test_sequential_and_activations():
    seq = nn.Sequential(nn.Linear(2, 4, seed=1), nn.Tanh(), nn.Linear(4, 1, seed=2))
    x = rng.standard_normal((3, 2))
    w0, b0 = seq[0].weight.numpy(), seq[0].bias.numpy()
    w1, b1 = seq[2].weight.numpy(), seq[2].bias.numpy()
    np.testing.assert_allclose(seq(ad.tensor(x)).numpy(), np.tanh(x @ w0 + b0) @ w1 + b1)
    with pytest.raises(ValueError, match="unknown activation"):
        nn.MLP([2, 2], activation="gelu-ish")


def test_requires_grad_off_freezes_model_for_md():
    m = Energy().requires_grad_(False)
    x = rng.standard_normal((4, 3))
    f = ad.grad(lambda x: m(x))(x)  # only the x path is recorded
    assert f.shape == (4, 3)
    assert all(p.grad is None for p in m.parameters())


def test_to_cpu_is_noop_and_cuda_without_gpu_errors():
    m = Energy().to("cpu")
    assert all(p.device == "cpu" for p in m.parameters())
    if ad.backend.cupy_or_none() is None:
        with pytest.raises(RuntimeError, match="cupy"):
            m.to("cuda")


def _quadratic_problem():
    a = np.diag([1.0, 10.0])
    target = np.array([1.0, -2.0])
    w = nn.Parameter(np.zeros(2))

    def loss():
        d = w - target
        return (d * ad.tensor(np.diag(a)) * d).sum()

    return w, target, loss


@pytest.mark.parametrize("make", [
    lambda p: optim.SGD(p, lr=0.04, momentum=0.9),
    lambda p: optim.SGD(p, lr=0.04, momentum=0.9, nesterov=True),
    lambda p: optim.Adam(p, lr=0.1),
    lambda p: optim.Adam(p, lr=optim.exponential_decay(0.2, 0.5, 200), clip_norm=5.0),
])
def test_optimizers_converge_on_quadratic(make):
    w, target, loss = _quadratic_problem()
    opt = make([w])
    for _ in range(400):
        opt.zero_grad()
        loss().backward()
        opt.step()
    np.testing.assert_allclose(w.numpy(), target, atol=1e-3)


def test_adam_matches_reference_formula():
    """Adam's first steps against the published update rule written out in numpy."""
    g_seq = [rng.standard_normal(3) for _ in range(5)]
    p = nn.Parameter(np.array([0.5, -0.2, 1.0]))
    opt = optim.Adam([p], lr=0.01, betas=(0.9, 0.99), eps=1e-8)
    ref = p.numpy().copy()
    m = np.zeros(3)
    v = np.zeros(3)
    for t, g in enumerate(g_seq, start=1):
        opt.step([g])
        m = 0.9 * m + 0.1 * g
        v = 0.99 * v + 0.01 * g * g
        ref = ref - 0.01 * (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - 0.99**t)) + 1e-8)
    np.testing.assert_allclose(p.numpy(), ref, rtol=1e-12)
    assert opt.step_count == 5


def test_adam_matches_torch_when_installed():
    torch = pytest.importorskip("torch")
    g_seq = [rng.standard_normal(4) for _ in range(6)]
    init = rng.standard_normal(4)
    p = nn.Parameter(init.copy())
    opt = optim.Adam([p], lr=0.05, weight_decay=0.01)
    tp = torch.tensor(init.copy(), requires_grad=True)
    topt = torch.optim.AdamW([tp], lr=0.05, weight_decay=0.01)
    for g in g_seq:
        opt.step([g])
        tp.grad = torch.tensor(g)
        topt.step()
    np.testing.assert_allclose(p.numpy(), tp.detach().numpy(), rtol=1e-10)


def test_clip_by_global_norm():
    tr = optim.clip_by_global_norm(1.0)
    g = [np.array([3.0, 4.0]), np.array([0.0])]
    out, _ = tr.update(g, tr.init(g))
    np.testing.assert_allclose(optim.global_norm(out), 1.0)
    small = [np.array([0.3, 0.4])]
    out2, _ = tr.update(small, tr.init(small))
    np.testing.assert_allclose(out2[0], small[0])


def test_step_without_gradient_names_parameter():
    w = nn.Parameter(np.zeros(2), name="w")
    with pytest.raises(RuntimeError, match="'w'"):
        optim.SGD([w]).step()


def test_cosine_schedule_warmup_and_floor():
    s = optim.cosine_decay(1.0, 100, alpha=0.1, warmup_steps=10)
    assert s(0) == pytest.approx(0.1)
    assert s(10) == pytest.approx(1.0)
    assert s(110) == pytest.approx(0.1)


def test_buffers_saved_loaded_and_not_trained():
    class Scaled(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(2, 1, seed=0)
            self.register_buffer("scale", np.array([2.0, 3.0]))

        def forward(self, x):
            return self.lin(x * self.scale)

    a, b = Scaled(), Scaled()
    b.scale = np.array([5.0, 5.0])
    assert len(a.parameters()) == 2
    sd = a.state_dict()
    assert "scale" in sd
    b.load_state_dict(sd)
    np.testing.assert_array_equal(b.scale, [2.0, 3.0])
    with pytest.raises(KeyError, match="scale"):
        b.load_state_dict({k: v for k, v in sd.items() if k != "scale"})
