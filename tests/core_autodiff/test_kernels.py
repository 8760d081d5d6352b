"""CPU (numba) and CUDA (numba.cuda, through the simulator in CI) kernels against numpy."""

import numpy as np
import pytest

from core_autodiff.kernels import cpu

rng = np.random.default_rng(11)


def _ref_scatter(src, idx, n):
    out = np.zeros((n,) + src.shape[1:], dtype=src.dtype)
    np.add.at(out, idx, src)
    return out


@pytest.mark.parametrize("shape,n", [((50, 3), 7), ((70000, 2), 9), ((3000, 64), 40),
                                     ((40000, 3), 30000)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_cpu_scatter_add_all_paths(shape, n, dtype):
    src = rng.standard_normal(shape).astype(dtype)
    idx = rng.integers(0, n, shape[0])
    tol = 1e-10 if dtype == np.float64 else 1e-3
    np.testing.assert_allclose(cpu.scatter_add_rows(src, idx, n), _ref_scatter(src, idx, n),
                               rtol=tol, atol=tol)


@pytest.mark.parametrize("m", [10, 100000])
def test_cpu_gather_and_silu(m):
    x = rng.standard_normal((500, 3))
    idx = rng.integers(0, 500, m)
    np.testing.assert_array_equal(cpu.gather_rows(x, idx), x[idx])
    y = rng.standard_normal(m)
    s = 1 / (1 + np.exp(-y))
    np.testing.assert_allclose(cpu.silu(y), y * s, rtol=1e-12)
    g = rng.standard_normal(m)
    np.testing.assert_allclose(cpu.silu_grad(y, g), g * s * (1 + y * (1 - s)), rtol=1e-12)


@pytest.mark.cudasim
def test_cuda_kernels_match_numpy():
    from core_autodiff.kernels import cuda

    x = rng.standard_normal((9, 3))
    idx = np.array([0, 8, 3, 3, 1], dtype=np.int64)
    np.testing.assert_array_equal(cuda.gather_rows(x, idx), x[idx])
    src = rng.standard_normal((5, 3))
    np.testing.assert_allclose(cuda.scatter_add_rows(src, idx, 9), _ref_scatter(src, idx, 9))
    seg = np.array([0, 0, 2, 2, 2], dtype=np.int64)
    np.testing.assert_allclose(cuda.scatter_add_rows(src[:, 0].copy(), seg, 3),
                               _ref_scatter(src[:, 0], seg, 3))
    y = rng.standard_normal(37)
    g = rng.standard_normal(37)
    s = 1 / (1 + np.exp(-y))
    np.testing.assert_allclose(cuda.silu(y), y * s, rtol=1e-12)
    np.testing.assert_allclose(cuda.silu_grad(y, g), g * s * (1 + y * (1 - s)), rtol=1e-12)


@pytest.mark.gpu
def test_ops_on_cupy_match_numpy():
    from tests.conftest import has_real_gpu

    if not has_real_gpu():
        pytest.skip("needs cupy and a CUDA device")
    import cupy

    import core_autodiff as ad

    x = rng.standard_normal((64, 8))
    idx = rng.integers(0, 64, 200)
    f = lambda x: ad.segment_sum(ad.silu(ad.take(x, idx)), idx % 10, 10).sum()
    g_cpu = ad.grad(f)(x).numpy()
    g_gpu = ad.grad(f)(ad.tensor(cupy.asarray(x))).numpy()
    np.testing.assert_allclose(g_gpu, g_cpu, rtol=1e-10)
    ad.testing.check_primitive(lambda a: ad.silu(a), [x])
