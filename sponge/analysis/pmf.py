"""Potentials of mean force (free-energy surfaces) from weighted samples.

For samples ``s_i`` with canonical weights ``w_i`` (from
:func:`sponge.analysis.reweight`, or 1 for plain MD),

    F(bin) = -k_B T ln( sum_{i in bin} w_i / (sum_i w_i * bin volume) ),

shifted so that its minimum is 0. Error bars come from block averaging: the
samples are cut into ``n_blocks`` consecutive blocks, each gives its own
normalised histogram ``p_b``, and the standard error of the bin probability
``sigma_p = std_b(p_b) / sqrt(n_blocks)`` becomes ``sigma_F = k_B T sigma_p / p``
(Flyvbjerg & Petersen, JCP 91, 461 (1989); blocks longer than the
correlation time make the estimate honest). Empty bins get ``F = inf``.

A periodic axis (a dihedral) is wrapped into its range before binning; its
range defaults to ``(-pi, pi)``. Units: ``"kJ/mol"``, ``"kcal/mol"`` or
``"kBT"``.

Example:
    >>> w = reweight(df["rbias"], 300.0)                              # doctest: +SKIP
    >>> res = pmf_1d(df["phi"], w, bins=60, periodic=True, units="kcal/mol")
    >>> plot_pmf(res, "phi.png"); res.to_csv("phi.csv")
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field

import numpy as np

from sponge.quantities import BOLTZ

UNITS = {"kJ/mol": 1.0, "kcal/mol": 1.0 / 4.184, "kBT": None}


def _unit_factor(units: str, temperature: float) -> float:
    """kJ/mol -> ``units``."""
    if units not in UNITS:
        raise ValueError(f"pmf: units must be one of {list(UNITS)}; got {units!r}")
    f = UNITS[units]
    return 1.0 / (BOLTZ * temperature) if f is None else f


@dataclass
class PMF:
    """A 1-D or 2-D potential of mean force on a grid of bins.

    Attributes:
        edges: bin edges per axis.
        centers: bin centres per axis.
        free_energy: ``(n_0[, n_1])`` F in ``units``, minimum 0, inf where empty.
        error: block-averaging standard error of F (NaN where undefined).
        probability: normalised probability density per bin.
        units: "kJ/mol", "kcal/mol" or "kBT".
        temperature: K.
        names: axis labels.
        n_samples: number of samples used.
    """

    edges: list[np.ndarray]
    centers: list[np.ndarray]
    free_energy: np.ndarray
    error: np.ndarray
    probability: np.ndarray
    units: str
    temperature: float
    names: list[str] = field(default_factory=list)
    n_samples: int = 0

    @property
    def ndim(self) -> int:
        return len(self.centers)

    def to_csv(self, path: str | os.PathLike) -> None:
        """Write ``centre(s), free_energy, error, probability`` rows with a header."""
        mesh = np.meshgrid(*self.centers, indexing="ij")
        cols = [m.reshape(-1) for m in mesh] + [self.free_energy.reshape(-1),
                                                self.error.reshape(-1),
                                                self.probability.reshape(-1)]
        u = self.units
        header = ",".join([*self.names, f"free_energy ({u})", f"error ({u})", "probability"])
        np.savetxt(path, np.column_stack(cols), delimiter=",", header=header, comments="",
                   fmt="%.8g")


def _wrap(x: np.ndarray, lo: float, hi: float) -> np.ndarray:
    return lo + np.mod(x - lo, hi - lo)


def _prepare(samples, weights, who: str) -> tuple[np.ndarray, np.ndarray]:
    s = np.asarray(samples, dtype=np.float64)
    n = s.shape[0]
    if n == 0:
        raise ValueError(f"{who}: no samples")
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=np.float64).reshape(-1)
    if w.shape[0] != n:
        raise ValueError(f"{who}: {n} samples but {w.shape[0]} weights")
    bad = np.flatnonzero(~np.isfinite(w) | (w < 0))
    if bad.size:
        raise ValueError(f"{who}: weight of sample {int(bad[0])} is {w[bad[0]]} "
                         f"(weights must be finite and >= 0)")
    bad = np.flatnonzero(~np.isfinite(s).reshape(n, -1).all(axis=1))
    if bad.size:
        raise ValueError(f"{who}: sample {int(bad[0])} is not finite: {s[bad[0]]}")
    return s, w


def _histograms(coords: list[np.ndarray], w: np.ndarray, edges: list[np.ndarray],
                n_blocks: int) -> tuple[np.ndarray, np.ndarray]:
    """(normalised density over all samples, per-block densities)."""
    vol = np.ones(())
    for e in edges:
        vol = np.multiply.outer(vol, np.diff(e))

    def dens(idx):
        h, _ = np.histogramdd(np.column_stack([c[idx] for c in coords]), bins=edges,
                              weights=w[idx])
        tot = h.sum()
        return h / (tot * vol) if tot > 0 else np.full(h.shape, np.nan)

    n = len(w)
    full = dens(slice(None))
    blocks = np.array([dens(slice(b * n // n_blocks, (b + 1) * n // n_blocks))
                       for b in range(n_blocks)]) if n_blocks > 1 else None
    return full, blocks


def _finish(p: np.ndarray, blocks, edges, names, units, temperature, n) -> PMF:
    kt = BOLTZ * temperature
    factor = _unit_factor(units, temperature)
    with np.errstate(divide="ignore", invalid="ignore"):
        f = -kt * np.log(p)
        fin = np.isfinite(f)
        if fin.any():
            f = f - f[fin].min()
        f[~fin] = np.inf
        if blocks is not None:
            nb = blocks.shape[0]
            sp = np.nanstd(blocks, axis=0, ddof=1) / math.sqrt(nb)
            err = kt * sp / p
            err[~fin] = np.nan
        else:
            err = np.full(p.shape, np.nan)
    centers = [0.5 * (e[1:] + e[:-1]) for e in edges]
    return PMF(edges=list(edges), centers=centers, free_energy=f * factor, error=err * factor,
               probability=p, units=units, temperature=float(temperature), names=list(names),
               n_samples=n)


def _axis_edges(x: np.ndarray, bins: int, rng, periodic: bool, who: str) -> np.ndarray:
    if isinstance(bins, bool) or int(bins) < 1:
        raise ValueError(f"{who}: bins must be a positive integer; got {bins!r}")
    if rng is None:
        rng = (-math.pi, math.pi) if periodic else (float(x.min()), float(x.max()))
        if rng[1] <= rng[0]:
            rng = (rng[0] - 0.5, rng[0] + 0.5)
    lo, hi = float(rng[0]), float(rng[1])
    if not hi > lo:
        raise ValueError(f"{who}: range {rng} is empty")
    return np.linspace(lo, hi, int(bins) + 1)


def pmf_1d(samples, weights=None, bins: int = 50, range=None, periodic: bool = False,  # noqa: A002
           temperature: float = 300.0, units: str = "kJ/mol", n_blocks: int = 5,
           name: str = "s") -> PMF:
    """1-D PMF of ``samples`` ``(n,)`` with optional ``weights`` ``(n,)``.

    Args:
        samples: CV values (nm or rad).
        weights: canonical weights (any normalisation); None means equal weights.
        bins: number of bins.
        range: ``(low, high)``; default the data range, ``(-pi, pi)`` when periodic.
        periodic: wrap samples into ``range`` first.
        temperature: K.
        units: "kJ/mol", "kcal/mol" or "kBT".
        n_blocks: blocks for the error bars (1: no error bars).
        name: axis label.

    Raises:
        ValueError: empty input, mismatched weights, a negative or non-finite
            weight (names the sample), bad bins, range or units.
    """
    s, w = _prepare(samples, weights, "pmf_1d")
    s = s.reshape(-1)
    _unit_factor(units, temperature)
    edges = _axis_edges(s, bins, range, periodic, "pmf_1d")
    if periodic:
        s = _wrap(s, edges[0], edges[-1])
    p, blocks = _histograms([s], w, [edges], int(n_blocks))
    return _finish(p, blocks, [edges], [name], units, temperature, len(s))


def pmf_2d(x, y, weights=None, bins=(50, 50), range=None, periodic=(False, False),  # noqa: A002
           temperature: float = 300.0, units: str = "kJ/mol", n_blocks: int = 5,
           names: tuple[str, str] = ("s1", "s2")) -> PMF:
    """2-D PMF of samples ``(x_i, y_i)``; arguments as :func:`pmf_1d`, one per axis.

    ``bins``, ``range`` and ``periodic`` take one value per axis (or a single
    value for both).
    """
    xs, w = _prepare(x, weights, "pmf_2d")
    ys, _ = _prepare(y, weights, "pmf_2d")
    xs, ys = xs.reshape(-1), ys.reshape(-1)
    if len(xs) != len(ys):
        raise ValueError(f"pmf_2d: {len(xs)} x samples but {len(ys)} y samples")
    _unit_factor(units, temperature)
    bins = (bins, bins) if np.ndim(bins) == 0 else tuple(bins)
    per = (periodic, periodic) if isinstance(periodic, bool) else tuple(periodic)
    rngs = (None, None) if range is None else (
        (range, range) if np.ndim(range[0]) == 0 else tuple(range))
    coords, edges = [], []
    for c, b, r, pr in zip((xs, ys), bins, rngs, per, strict=True):
        e = _axis_edges(c, b, r, pr, "pmf_2d")
        coords.append(_wrap(c, e[0], e[-1]) if pr else c)
        edges.append(e)
    p, blocks = _histograms(coords, w, edges, int(n_blocks))
    return _finish(p, blocks, edges, list(names), units, temperature, len(xs))


def plot_pmf(pmf: PMF, path: str | os.PathLike, title: str | None = None,
             reference: PMF | None = None, vmax: float | None = None) -> None:
    """Write a PNG of a 1-D curve (with error bars) or a 2-D filled contour map.

    Args:
        pmf: the PMF to draw.
        path: output PNG.
        title: figure title.
        reference: an optional second PMF drawn beside it (1-D: dashed curve;
            2-D: a second panel), e.g. a brute-force reference.
        vmax: upper limit of the colour scale / y axis (units of ``pmf``).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    u = pmf.units
    if pmf.ndim == 1:
        fig, ax = plt.subplots(figsize=(6, 4))
        f = np.where(np.isfinite(pmf.free_energy), pmf.free_energy, np.nan)
        ax.errorbar(pmf.centers[0], f, yerr=pmf.error, fmt="-o", ms=3, capsize=2, label="PMF")
        if reference is not None:
            ax.plot(reference.centers[0],
                    np.where(np.isfinite(reference.free_energy), reference.free_energy, np.nan),
                    "--", label="reference")
            ax.legend()
        ax.set_xlabel(pmf.names[0] if pmf.names else "s")
        ax.set_ylabel(f"free energy ({u})")
        if vmax is not None:
            ax.set_ylim(0, vmax)
    else:
        panels = [pmf] if reference is None else [pmf, reference]
        fig, axes = plt.subplots(1, len(panels), figsize=(5.5 * len(panels), 4.5), squeeze=False)
        top = vmax
        if top is None:
            fin = pmf.free_energy[np.isfinite(pmf.free_energy)]
            top = float(fin.max()) if fin.size else 1.0
        for ax, p, label in zip(axes[0], panels, ("PMF", "reference"), strict=False):
            f = np.where(np.isfinite(p.free_energy), np.minimum(p.free_energy, top), np.nan)
            cs = ax.contourf(p.centers[0], p.centers[1], f.T, levels=np.linspace(0, top, 21),
                             cmap="viridis")
            ax.set_xlabel(p.names[0] if p.names else "s1")
            ax.set_ylabel(p.names[1] if len(p.names) > 1 else "s2")
            ax.set_title(label)
            fig.colorbar(cs, ax=ax, label=f"free energy ({u})")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
