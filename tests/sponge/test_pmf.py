"""PMFs from weighted samples: analytic distributions, reweighting, block-averaging errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sponge.analysis import plot_pmf, pmf_1d, pmf_2d, reweight
from sponge.quantities import BOLTZ

T = 300.0
KT = BOLTZ * T


def test_1d_pmf_of_gaussian_samples_is_the_parabola():
    rng = np.random.default_rng(1)
    x = rng.normal(0.0, 0.1, 400_000)           # F = x^2 / (2 * 0.01) kT
    res = pmf_1d(x, bins=40, range=(-0.25, 0.25), temperature=T, units="kBT")
    c = res.centers[0]
    ref = c**2 / (2 * 0.01)
    ok = ref < 3.0
    d = res.free_energy[ok] - ref[ok]
    assert np.abs(d - d.mean()).max() < 0.1
    assert np.nanmax(res.error[ok]) < 0.1
    # units convert: kJ/mol = kBT * kT, kcal/mol = kJ/mol / 4.184
    kj = pmf_1d(x, bins=40, range=(-0.25, 0.25), temperature=T, units="kJ/mol")
    kc = pmf_1d(x, bins=40, range=(-0.25, 0.25), temperature=T, units="kcal/mol")
    np.testing.assert_allclose(kj.free_energy[ok], res.free_energy[ok] * KT, rtol=1e-12)
    np.testing.assert_allclose(kc.free_energy[ok], kj.free_energy[ok] / 4.184, rtol=1e-12)


def test_reweighting_recovers_the_unbiased_pmf():
    """Samples of U + V reweighted with exp(+beta V) give the PMF of U."""
    rng = np.random.default_rng(2)
    x = rng.uniform(-1, 1, 300_000)             # sampled flat: U + V = const
    u = 3.0 * KT * (x**2 - 0.25) ** 2 / 0.0625  # target double well, 3 kT barrier
    v = -u                                      # the bias that flattened it
    w = reweight(v, T)
    res = pmf_1d(x, w, bins=40, range=(-1, 1), temperature=T, units="kBT")
    c = res.centers[0]
    ref = 3.0 * (c**2 - 0.25) ** 2 / 0.0625
    ok = ref < 5
    d = res.free_energy[ok] - ref[ok]
    assert np.abs(d - d.mean()).max() < 0.15


def test_periodic_axis_wraps_samples():
    rng = np.random.default_rng(3)
    phi = rng.vonmises(math.pi - 0.2, 2.0, 200_000)   # mass across the +-pi seam
    shifted = phi + 2 * math.pi * rng.integers(-2, 3, phi.size)
    a = pmf_1d(phi, bins=36, periodic=True, units="kBT")
    b = pmf_1d(shifted, bins=36, periodic=True, units="kBT")
    np.testing.assert_allclose(a.free_energy, b.free_energy)
    c = a.centers[0]
    ref = -2.0 * np.cos(c - (math.pi - 0.2))
    d = a.free_energy - ref
    assert np.abs(d - d.mean()).max() < 0.1


def test_2d_pmf_of_independent_gaussians():
    rng = np.random.default_rng(4)
    x, y = rng.normal(0, 0.1, 300_000), rng.normal(0.5, 0.2, 300_000)
    res = pmf_2d(x, y, bins=(20, 20), range=((-0.2, 0.2), (0.1, 0.9)), units="kBT",
                 names=("x", "y"))
    gx, gy = np.meshgrid(*res.centers, indexing="ij")
    ref = gx**2 / 0.02 + (gy - 0.5) ** 2 / 0.08
    ok = ref < 2.5
    d = res.free_energy[ok] - ref[ok]
    assert np.abs(d - d.mean()).max() < 0.15
    assert res.free_energy.shape == (20, 20)


def test_block_errors_shrink_with_sample_count():
    rng = np.random.default_rng(5)
    errs = []
    for n in (20_000, 320_000):
        # correlated samples (AR(1), correlation time ~20 samples) of a unit Gaussian
        e = rng.normal(size=n)
        x = np.empty(n)
        x[0] = e[0]
        a = math.exp(-1 / 20)
        for i in range(1, n):
            x[i] = a * x[i - 1] + math.sqrt(1 - a * a) * e[i]
        res = pmf_1d(x, bins=10, range=(-1, 1), units="kBT", n_blocks=10)
        errs.append(np.nanmean(res.error))
    # 16x more samples: error ~4x smaller (allow 2.5x-6.5x)
    assert 2.5 < errs[0] / errs[1] < 6.5
    # and the error is honest: independent runs scatter by about the quoted error
    spread = np.std([pmf_1d(rng.normal(size=20_000), bins=10, range=(-1, 1), units="kBT",
                            n_blocks=10).free_energy[5] for _ in range(20)])
    quoted = pmf_1d(rng.normal(size=20_000), bins=10, range=(-1, 1), units="kBT",
                    n_blocks=10).error[5]
    assert 0.4 < spread / quoted < 2.5


def test_bad_input_is_named(tmp_path):
    with pytest.raises(ValueError, match="3 samples but 2 weights"):
        pmf_1d([0.1, 0.2, 0.3], [1, 1])
    with pytest.raises(ValueError, match="weight of sample 1"):
        pmf_1d([0.1, 0.2], [1, -1])
    with pytest.raises(ValueError, match="units"):
        pmf_1d([0.1, 0.2], units="eV")


def test_plot_writes_png(tmp_path):
    rng = np.random.default_rng(6)
    r1 = pmf_1d(rng.normal(size=5000), bins=20)
    r2 = pmf_2d(rng.normal(size=5000), rng.normal(size=5000), bins=15)
    plot_pmf(r1, tmp_path / "a.png", reference=r1)
    plot_pmf(r2, tmp_path / "b.png", reference=r2, vmax=10)
    for f in ("a.png", "b.png"):
        assert (tmp_path / f).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    r1.to_csv(tmp_path / "a.csv")
    assert np.loadtxt(tmp_path / "a.csv", delimiter=",", skiprows=1).shape == (20, 4)
