"""Every primitive of the core passes the shared checker (forward vs numpy,
first and second order vs central differences, no-grad parity, cupy parity
when a GPU is present)."""

import numpy as np
import pytest
import scipy.special

import core_autodiff as ad
from core_autodiff.testing import check_primitive

rng = np.random.default_rng(42)


def R(*shape):
    return rng.standard_normal(shape)


def P(*shape):  # strictly positive
    return rng.uniform(0.5, 2.0, shape)


idx = np.array([0, 2, 2, 1, 4, 0])
seg = np.array([0, 0, 1, 3, 3, 3])

CASES = [
    # name, fn, args, reference
    ("add", lambda a, b: a + b, [R(3, 4), R(4)], lambda a, b: a + b),
    ("add_scalar", lambda a: 2.5 + a, [R(3)], lambda a: 2.5 + a),
    ("sub", lambda a, b: a - b, [R(3, 1), R(1, 4)], lambda a, b: a - b),
    ("mul", lambda a, b: a * b, [R(2, 3), R(3)], lambda a, b: a * b),
    ("div", lambda a, b: a / b, [R(2, 3), P(2, 3)], lambda a, b: a / b),
    ("rdiv_scalar", lambda b: 1.0 / b, [P(5)], lambda b: 1.0 / b),
    ("pow_scalar", lambda a: a**3, [R(4)], lambda a: a**3),
    ("pow_square", lambda a: a**2, [R(4)], lambda a: a**2),
    ("pow_tensor", lambda a, b: a**b, [P(4), R(4)], lambda a, b: a**b),
    ("square", lambda a: ad.square(a), [R(3)], np.square),
    ("neg", lambda a: -a, [R(3)], np.negative),
    ("exp", ad.exp, [R(3, 2)], np.exp),
    ("log", ad.log, [P(3, 2)], np.log),
    ("sqrt", ad.sqrt, [P(3, 2)], np.sqrt),
    ("sin", ad.sin, [R(5)], np.sin),
    ("cos", ad.cos, [R(5)], np.cos),
    ("tanh", ad.tanh, [R(4, 3)], np.tanh),
    ("sigmoid", ad.sigmoid, [R(4, 3)], scipy.special.expit),
    ("softplus", ad.softplus, [R(4, 3)], lambda a: np.logaddexp(0, a)),
    ("silu", ad.silu, [R(4, 3)], lambda a: a * scipy.special.expit(a)),
    ("silu_large", ad.silu, [R(300, 300)], lambda a: a * scipy.special.expit(a)),
    ("relu", ad.relu, [R(4, 3) + 0.05], lambda a: np.maximum(a, 0)),
    ("abs", ad.abs, [R(6) + 0.05], np.abs),
    ("erf", ad.erf, [R(6)], scipy.special.erf),
    ("erfc", ad.erfc, [R(6)], scipy.special.erfc),
    ("arctan2", ad.arctan2, [R(6), R(6)], np.arctan2),
    ("where", lambda a, b: ad.where(a.data > 0, a, b), [R(6), R(6)],
     lambda a, b: np.where(a > 0, a, b)),
    ("maximum", ad.maximum, [R(6), R(6)], np.maximum),
    ("minimum", ad.minimum, [R(2, 3), R(3)], np.minimum),
    ("clip", lambda a: ad.clip(a, -0.5, 0.5), [R(8) * 0.3 + 0.01], lambda a: np.clip(a, -0.5, 0.5)),
    ("sum_all", lambda a: a.sum(), [R(3, 4)], np.sum),
    ("sum_axis", lambda a: ad.sum(a, axis=1), [R(3, 4, 2)], lambda a: a.sum(1)),
    ("sum_keepdims", lambda a: ad.sum(a, axis=(0, 2), keepdims=True), [R(3, 4, 2)],
     lambda a: a.sum((0, 2), keepdims=True)),
    ("mean", lambda a: ad.mean(a, axis=0), [R(3, 4)], lambda a: a.mean(0)),
    ("max", lambda a: ad.max(a, axis=1), [R(3, 4)], lambda a: a.max(1)),
    ("max_all", lambda a: a.max(), [R(3, 4)], np.max),
    ("logsumexp", lambda a: ad.logsumexp(a, axis=-1), [R(3, 4)],
     lambda a: scipy.special.logsumexp(a, axis=-1)),
    ("matmul", ad.matmul, [R(3, 4), R(4, 2)], np.matmul),
    ("matmul_batched", ad.matmul, [R(2, 3, 4), R(4, 5)], np.matmul),
    ("matmul_vec", ad.matmul, [R(3, 4), R(4)], np.matmul),
    ("matmul_vecvec", ad.matmul, [R(4), R(4)], np.matmul),
    ("linear", ad.linear, [R(5, 3), R(3, 4), R(4)], lambda x, w, b: x @ w + b),
    ("linear_3d", ad.linear, [R(2, 5, 3), R(3, 4), R(4)], lambda x, w, b: x @ w + b),
    ("einsum_mm", lambda a, b: ad.einsum("ij,jk->ik", a, b), [R(3, 4), R(4, 2)],
     lambda a, b: a @ b),
    ("einsum_batch", lambda a, b: ad.einsum("bij,bj->bi", a, b), [R(2, 3, 4), R(2, 4)],
     lambda a, b: np.einsum("bij,bj->bi", a, b)),
    ("einsum_outer_sum", lambda a, b: ad.einsum("ij,k->k", a, b), [R(2, 3), R(4)],
     lambda a, b: np.einsum("ij,k->k", a, b)),
    ("einsum_implicit", lambda a, b: ad.einsum("ij,jk", a, b), [R(3, 4), R(4, 2)],
     lambda a, b: a @ b),
    ("reshape", lambda a: a.reshape(4, 3), [R(3, 4)], lambda a: a.reshape(4, 3)),
    ("transpose", lambda a: a.transpose(2, 0, 1), [R(2, 3, 4)],
     lambda a: a.transpose(2, 0, 1)),
    ("T", lambda a: a.T, [R(2, 3)], lambda a: a.T),
    ("broadcast_to", lambda a: ad.broadcast_to(a, (3, 4)), [R(4)],
     lambda a: np.broadcast_to(a, (3, 4))),
    ("sum_to", lambda a: ad.sum_to(a, (1, 4)), [R(3, 4)], lambda a: a.sum(0, keepdims=True)),
    ("concatenate", lambda a, b: ad.concatenate([a, b], axis=1), [R(2, 3), R(2, 2)],
     lambda a, b: np.concatenate([a, b], 1)),
    ("stack", lambda a, b: ad.stack([a, b], axis=0), [R(2, 3), R(2, 3)],
     lambda a, b: np.stack([a, b])),
    ("getitem_slice", lambda a: a[1:, ::2], [R(3, 4)], lambda a: a[1:, ::2]),
    ("getitem_fancy", lambda a: a[np.array([0, 2, 2])], [R(3, 4)],
     lambda a: a[np.array([0, 2, 2])]),
    ("take", lambda a: ad.take(a, idx), [R(5, 3)], lambda a: a[idx]),
    ("take_1d", lambda a: ad.take(a, idx), [R(5)], lambda a: a[idx]),
    ("take_large", lambda a: ad.take(a, np.arange(4000) % 700), [R(700, 32)],
     lambda a: a[np.arange(4000) % 700]),
    ("scatter_add", lambda a: ad.scatter_add(a, idx, 5), [R(6, 3)],
     lambda a: _np_scatter(a, idx, 5)),
    ("segment_sum", lambda a: ad.segment_sum(a, seg, 4), [R(6, 2)],
     lambda a: _np_scatter(a, seg, 4)),
    ("segment_sum_large", lambda a: ad.segment_sum(a, np.arange(6000) % 50, 50), [R(6000, 16)],
     lambda a: _np_scatter(a, np.arange(6000) % 50, 50)),
    ("weighted_segment_sum",
     lambda x, w: ad.weighted_segment_sum(x, w, idx, seg, 4), [R(5, 3), R(6, 3)],
     lambda x, w: _np_scatter(x[idx] * w, seg, 4)),
    ("weighted_segment_sum_unsorted",
     lambda x, w: ad.weighted_segment_sum(x, w, seg, idx, 5), [R(4, 3), R(6, 3)],
     lambda x, w: _np_scatter(x[seg] * w, idx, 5)),
    ("weighted_segment_sum_large",
     lambda x, w: ad.weighted_segment_sum(x, w, np.arange(3000) % 97, np.sort(np.arange(3000) % 50), 50),
     [R(97, 8), R(3000, 8)],
     lambda x, w: _np_scatter(x[np.arange(3000) % 97] * w, np.sort(np.arange(3000) % 50), 50)),
    ("gather_mul", lambda a, b: ad.gather_mul(a, idx, b, seg), [R(5, 3), R(4, 3)],
     lambda a, b: a[idx] * b[seg]),
    ("tanh_large", ad.tanh, [R(300, 40)], np.tanh),
    ("sigmoid_large", ad.sigmoid, [R(300, 40) * 40], scipy.special.expit),
    ("softplus_large", ad.softplus, [R(200, 50) * 30], lambda a: np.logaddexp(0, a)),
    ("softplus_shift", lambda a: ad.softplus(a, shift=np.log(2.0)), [R(300, 40) * 5],
     lambda a: np.logaddexp(0, a) - np.log(2.0)),
    ("safe_norm", lambda a: ad.safe_norm(a, axis=-1), [R(5, 3)],
     lambda a: np.linalg.norm(a, axis=-1)),
    ("astype", lambda a: ad.astype(a, np.float64) * 1.0, [R(3).astype(np.float32)],
     lambda a: a.astype(np.float64)),
]


def _np_scatter(a, i, n):
    out = np.zeros((n,) + a.shape[1:])
    np.add.at(out, i, a)
    return out


@pytest.mark.parametrize("name,fn,args,ref", CASES, ids=[c[0] for c in CASES])
def test_primitive(name, fn, args, ref):
    check_primitive(fn, args, ref, order=2)


# ops exercised by a case (or test) named differently from the op itself
INDIRECT = {"pow": "pow_scalar", "expand_dims": "test_squeeze_expand_dims",
            "squeeze": "test_squeeze_expand_dims", "swapaxes": "matmul", "identity": "nested grad",
            "sum": "sum_axis", "max": "max_all", "getitem": "getitem_slice",
            "einsum": "einsum_mm"}


def test_every_exported_op_is_covered():
    """A new op added to ``ad.ops`` must get a case in CASES (or an entry in INDIRECT)."""
    names = {c[0] for c in CASES}
    missing = [op for op in ad.ops.__all__ if op not in names and op not in INDIRECT]
    assert not missing, f"ops without a check_primitive case: {missing}"


def test_squeeze_expand_dims():
    check_primitive(lambda a: ad.squeeze(ad.expand_dims(a, 1) * 2.0, 1), [R(3, 2)],
                    lambda a: 2 * a)


def test_safe_norm_finite_at_zero_to_second_order():
    x = np.zeros((2, 3))
    x[1] = [3.0, 4.0, 0.0]
    g = ad.grad(lambda x: ad.safe_norm(x).sum())(x).numpy()
    assert np.all(np.isfinite(g))
    np.testing.assert_allclose(g[0], 0.0)
    np.testing.assert_allclose(g[1], [0.6, 0.8, 0.0])
    h = ad.grad(lambda x: ad.grad(lambda y: ad.safe_norm(y).sum())(x).sum())(x).numpy()
    assert np.all(np.isfinite(h))


def test_sigmoid_softplus_stable_for_large_inputs():
    x = np.array([-800.0, -30.0, 0.0, 30.0, 800.0])
    s = ad.sigmoid(x).numpy()
    np.testing.assert_allclose(s, scipy.special.expit(x))
    sp = ad.softplus(x).numpy()
    assert np.all(np.isfinite(sp))
    np.testing.assert_allclose(sp[-1], 800.0)
    g = ad.grad(lambda t: ad.softplus(t).sum())(x).numpy()
    np.testing.assert_allclose(g, scipy.special.expit(x))


def test_float32_stays_float32():
    x = ad.tensor(R(3, 4).astype(np.float32), requires_grad=True)
    y = ad.silu(x * 2.0 + 1.0).sum()
    assert y.dtype == np.float32
    y.backward()
    assert x.grad.dtype == np.float32


def test_einsum_rejects_diagonal():
    with pytest.raises(ValueError, match="diagonal"):
        ad.einsum("ii->i", R(3, 3))


def test_take_rejects_out_of_range_and_float_indices():
    with pytest.raises(IndexError):
        ad.take(R(3, 2), np.array([0, 3]))
    with pytest.raises(TypeError, match="integers"):
        ad.take(R(3, 2), np.array([0.0, 1.0]))
    with pytest.raises(IndexError):
        ad.scatter_add(R(2, 2), np.array([0, 5]), 3)
