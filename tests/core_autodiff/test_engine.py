"""The tape: recording switch, backward, functional API, higher order, errors."""

import threading

import numpy as np
import pytest

import core_autodiff as ad

rng = np.random.default_rng(1)


def test_backward_accumulates_into_leaves():
    x = ad.tensor([1.0, 2.0, 3.0], requires_grad=True)
    w = ad.tensor(2.0, requires_grad=True)
    y = (x * x * w).sum()
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), [4.0, 8.0, 12.0])
    np.testing.assert_allclose(w.grad.numpy(), 14.0)
    (x.sum() * 1.0).backward()
    np.testing.assert_allclose(x.grad.numpy(), [5.0, 9.0, 13.0])  # accumulated


def test_shared_subexpression_and_diamond():
    x = ad.tensor(1.5, requires_grad=True)
    a = ad.sin(x)
    y = a * a + a  # a used three times
    (g,) = ad.autograd(y, x)
    np.testing.assert_allclose(g.numpy(), 2 * np.sin(1.5) * np.cos(1.5) + np.cos(1.5))


def test_no_grad_records_nothing_and_is_thread_local():
    x = ad.tensor([1.0], requires_grad=True)
    with ad.no_grad():
        y = x * 2.0
        assert not ad.is_grad_enabled()
        seen = {}

        def other():
            seen["enabled"] = ad.is_grad_enabled()

        t = threading.Thread(target=other)
        t.start()
        t.join()
        assert seen["enabled"] is True
        with ad.enable_grad():
            z = x * 2.0
    assert y.node is None and not y.requires_grad
    assert z.node is not None
    assert ad.is_grad_enabled()


def test_no_grad_as_decorator():
    @ad.no_grad()
    def f(x):
        return x * 3.0

    x = ad.tensor([1.0], requires_grad=True)
    assert f(x).node is None
    assert ad.is_grad_enabled()


def test_unused_input_raises_by_default():
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    z = ad.tensor([3.0], requires_grad=True)
    y = (x * x).sum()
    with pytest.raises(RuntimeError, match="not connected"):
        ad.autograd(y, [x, z], retain_graph=True)
    gx, gz = ad.autograd(y, [x, z], allow_unused=True)
    assert gz is None
    np.testing.assert_allclose(gx.numpy(), [2.0, 4.0])


def test_functional_unused_argument_raises():
    with pytest.raises(RuntimeError, match="not connected"):
        ad.grad(lambda x, y: (x * x).sum(), argnums=(0, 1))(np.ones(2), np.ones(2))


def test_backward_on_constant_raises():
    x = ad.tensor([1.0, 2.0])
    with pytest.raises(RuntimeError, match="does not require grad"):
        (x * 2.0).sum().backward()


def test_non_scalar_needs_grad_outputs():
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3.0
    with pytest.raises(RuntimeError, match="scalar"):
        ad.autograd(y, x, retain_graph=True)
    (g,) = ad.autograd(y, x, grad_outputs=np.array([1.0, 10.0]))
    np.testing.assert_allclose(g.numpy(), [3.0, 30.0])


def test_second_backward_needs_retain_graph():
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    y = ad.exp(x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph"):
        y.backward()
    x2 = ad.tensor([1.0, 2.0], requires_grad=True)
    y2 = ad.exp(x2).sum()
    y2.backward(retain_graph=True)
    y2.backward()
    np.testing.assert_allclose(x2.grad.numpy(), 2 * np.exp([1.0, 2.0]))


def test_grad_of_grad_composes_without_flags():
    f = lambda x: (ad.sin(x) * x * x).sum()
    x = rng.standard_normal(4)
    g = ad.grad(f)(x).numpy()
    np.testing.assert_allclose(g, np.cos(x) * x**2 + 2 * x * np.sin(x))
    h = ad.grad(lambda x: ad.grad(f)(x).sum())(x).numpy()
    np.testing.assert_allclose(h, -np.sin(x) * x**2 + 4 * x * np.cos(x) + 2 * np.sin(x))
    third = ad.grad(lambda x: ad.grad(lambda y: ad.grad(f)(y).sum())(x).sum())(x).numpy()
    np.testing.assert_allclose(
        third, -np.cos(x) * x**2 - 6 * x * np.sin(x) + 6 * np.cos(x), rtol=1e-10)


def test_imperative_double_backward_with_create_graph():
    x = ad.tensor(rng.standard_normal(3), requires_grad=True)
    y = (x**3).sum()
    (g,) = ad.autograd(y, x, create_graph=True)
    assert g.requires_grad
    g.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 6 * x.numpy())


def test_value_and_grad_argnums_aux_params():
    w = ad.nn.Parameter(np.array([2.0]))

    def f(x, y):
        v = (x * y * w).sum()
        return v, {"x": x}

    x, y = np.array([1.0, 2.0]), np.array([3.0, 4.0])
    (v, aux), (gs, gp) = ad.value_and_grad(f, argnums=(0, 1), has_aux=True, params=[w])(x, y)
    np.testing.assert_allclose(v.numpy(), 22.0)
    assert set(aux) == {"x"}
    np.testing.assert_allclose(gs[0].numpy(), 2 * y)
    np.testing.assert_allclose(gs[1].numpy(), 2 * x)
    np.testing.assert_allclose(gp[0].numpy(), [11.0])
    only_p = ad.grad(lambda x: (x * w).sum(), argnums=None, params=[w])(x)
    np.testing.assert_allclose(only_p[0].numpy(), [3.0])
    assert w.grad is None  # functional API never touches .grad


def test_vjp_function_reusable_and_tuple_outputs():
    x = rng.standard_normal(3)
    out, f_vjp = ad.vjp(lambda x: (ad.sin(x), x * 2.0), x)
    (g1,) = f_vjp((np.ones(3), np.zeros(3)))
    (g2,) = f_vjp((np.zeros(3), np.ones(3)))
    np.testing.assert_allclose(g1.numpy(), np.cos(x))
    np.testing.assert_allclose(g2.numpy(), 2.0)
    np.testing.assert_allclose(out[0].numpy(), np.sin(x))


def test_integer_argument_rejected():
    with pytest.raises(TypeError, match="integer"):
        ad.grad(lambda x: (x * 1.0).sum())(np.array([1, 2]))


def test_force_matching_loss_matches_finite_differences():
    """d/dtheta of sum |-dE/dx - F_ref|^2, E an MLP of pair distances (reverse over reverse)."""
    model = ad.nn.MLP([4, 8, 8, 1], activation="tanh", seed=3)
    x0 = rng.standard_normal((5, 3))
    f_ref = rng.standard_normal((5, 3))
    i, j = np.triu_indices(5, 1)
    centers = np.linspace(0.5, 3.0, 4)

    def energy(x):
        d = ad.safe_norm(ad.take(x, i) - ad.take(x, j), axis=-1)
        feats = ad.exp(-((ad.reshape(d, (-1, 1)) - centers) ** 2))
        atom = ad.segment_sum(model(feats), i, 5)
        return atom.sum()

    e_ref = 0.7

    def loss():
        e, forces = ad.value_and_grad(energy)(x0)
        return ((forces * -1.0 - f_ref) ** 2).sum() + (e - e_ref) ** 2

    params = model.parameters()
    value, grads = ad.value_and_grad(lambda: loss(), argnums=None, params=params)()
    # force-only loss: the last bias does not enter the forces
    force_only = lambda: ((-ad.grad(energy)(x0) - f_ref) ** 2).sum()
    with pytest.raises(RuntimeError, match="not connected"):
        ad.grad(force_only, argnums=None, params=params)()
    g_fo = ad.grad(force_only, argnums=None, params=params, allow_unused=True)()
    np.testing.assert_array_equal(g_fo[-1].numpy(), 0.0)
    # central differences on a few random parameter directions
    for k in range(3):
        dirs = [np.random.default_rng(k).standard_normal(p.shape) for p in params]
        h = 1e-6
        for p, d in zip(params, dirs, strict=True):
            p.data = p.data + h * d
        lp = float(loss().numpy())
        for p, d in zip(params, dirs, strict=True):
            p.data = p.data - 2 * h * d
        lm = float(loss().numpy())
        for p, d in zip(params, dirs, strict=True):
            p.data = p.data + h * d
        num = (lp - lm) / (2 * h)
        ana = sum(float((g.numpy() * d).sum()) for g, d in zip(grads, dirs, strict=True))
        assert abs(num - ana) <= 1e-6 * max(1.0, abs(num)), (num, ana)
    assert float(value.numpy()) > 0


def test_force_matching_forgotten_create_graph_raises():
    """An imperative inner gradient without create_graph disconnects the loss: it must raise."""
    w = ad.nn.Parameter(np.array([1.5]))
    x = ad.tensor(rng.standard_normal(3), requires_grad=True)
    e = (w * x * x).sum()
    (gx,) = ad.autograd(e, x)  # create_graph forgotten
    loss = (gx * gx).sum()
    with pytest.raises(RuntimeError, match="does not require grad"):
        loss.backward()


def test_mixed_backends_rejected():
    class FakeCupyArray:
        """Stands in for a cupy array: the backend check goes by the type's module."""

        __module__ = "cupy._core.core"
        shape = (2,)
        ndim = 1
        dtype = np.dtype(np.float64)

    FakeCupyArray.__module__ = "cupy._core.core"
    t = ad.Tensor.__new__(ad.Tensor)
    t.data, t.requires_grad, t.node, t.index, t.grad, t.name = (
        FakeCupyArray(), False, None, 0, None, None)
    with pytest.raises(TypeError, match=r"primitive 'add' got arrays on different backends"):
        ad.ops.elementwise._add(ad.tensor(np.ones(2)), t)


def test_once_differentiable_primitive():
    class Cube(ad.Primitive):
        name = "cube_kernel"
        max_order = 1

        def forward(self, ctx, xp, x):
            ctx.x = x
            return x**3

        def vjp(self, ctx, needs, g):
            return (g * ad.Tensor(3 * ctx.x**2),)

    x = rng.standard_normal(3)
    np.testing.assert_allclose(ad.grad(lambda x: Cube()(x).sum())(x).numpy(), 3 * x**2)
    with pytest.raises(RuntimeError, match="once-differentiable"):
        ad.grad(lambda x: ad.grad(lambda y: Cube()(y).sum())(x).sum())(x)
    ad.testing.check_primitive(lambda x: Cube()(x), [x], lambda x: x**3,
                               once_differentiable=True)


def test_decorator_primitive_form():
    @ad.primitive
    def cube(xp, x, scale=1.0):
        return scale * x**3

    @cube.defvjp
    def _(ctx, needs, g):
        (x,) = ctx.inputs
        return (g * 3.0 * ctx.attrs["scale"] * x * x,)

    x = rng.standard_normal(4)
    ad.testing.check_primitive(lambda x: cube(x, scale=2.0), [x], lambda x: 2 * x**3, order=2)


def test_check_grads_catches_a_wrong_vjp():
    @ad.primitive
    def bad_sin(xp, x):
        return xp.sin(x)

    @bad_sin.defvjp
    def _(ctx, needs, g):
        return (g * ad.sin(ctx.inputs[0]),)  # wrong: should be cos

    with pytest.raises(AssertionError, match="gradient check failed"):
        ad.testing.check_grads(lambda x: bad_sin(x), [rng.standard_normal(5)], order=1)


def test_check_grads_catches_a_non_differentiable_vjp():
    @ad.primitive
    def raw_sq(xp, x):
        return x * x

    @raw_sq.defvjp
    def _(ctx, needs, g):  # uses raw data: first order right, second order lost
        return (g * ad.Tensor(2.0 * ctx.inputs[0].data),)

    x = rng.standard_normal(5)
    ad.testing.check_grads(lambda x: raw_sq(x), [x], order=1)
    with pytest.raises(AssertionError, match="gradient check failed"):
        ad.testing.check_grads(lambda x: raw_sq(x), [x], order=2)


def test_deep_graph_no_recursion_limit():
    x = ad.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(5000):
        y = y * 1.0001
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 1.0001**5000, rtol=1e-10)
