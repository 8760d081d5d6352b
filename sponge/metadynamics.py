"""Well-tempered metadynamics on one or two collective variables, with a bias grid.

The bias ``V(s, t)`` is a sum of Gaussian hills deposited every ``pace``
steps at the current CV value ``s(t_k)``::

    V(s, t) = sum_k h_k exp(-sum_d delta_d(s, s_k)^2 / (2 sigma_d^2))
    h_k     = h_0 exp(-V(s_k, t_k) / (k_B dT)),   dT = (gamma - 1) T

(well-tempered, Barducci, Bussi & Parrinello, PRL 100, 020603 (2008));
``delta_d`` is the periodic difference for a periodic CV. With
``bias_factor=None`` the height stays ``h_0`` (plain metadynamics). In the
long-time limit ``V(s) = -(1 - 1/gamma) F(s) + const``, so
:meth:`Metadynamics.free_energy` returns ``-gamma/(gamma-1) V``.

The hills are accumulated on a grid (value, first derivatives and, in 2-D,
the mixed derivative, all analytic), and the bias between grid points is the
cubic (1-D) or bicubic (2-D) Hermite interpolant of those; the force is the
exact gradient of that interpolant, ``F_i = -sum_d dV/ds_d ds_d/dx_i``, so
dynamics under the bias conserve energy. Outside the grid of a non-periodic
CV the bias keeps its edge value and exerts no force (a warning names the CV).

Reweighting (Tiwary & Parrinello, JPCB 119, 736 (2015)): the time-dependent
offset ``c(t) = (1/beta) ln[ int exp(gamma/(gamma-1) beta V) ds /
int exp(beta V/(gamma-1)) ds ]`` makes ``w = exp(beta (V(s,t) - c(t)))``
canonical weights; :meth:`report_columns` gives ``bias`` (V, kJ/mol),
``rbias`` (V - c(t)) and ``ct``.

Use it as a bias of :class:`sponge.Simulation`, which also calls its
:meth:`report` hook every ``pace`` steps (hill deposition) before any reporter::

    phi, psi = sponge.cv.Dihedral(4, 6, 8, 14), sponge.cv.Dihedral(6, 8, 14, 16)
    metad = sponge.Metadynamics([phi, psi], temperature=300.0, height=1.2,
                                sigma=[0.35, 0.35], bias_factor=8, pace=500,
                                hills_file="HILLS")
    sim = sponge.Simulation(system, integrator, state, bias=metad)
    sim.run(500_000); metad.write_grid("bias_grid.dat")

Hills file (PLUMED's HILLS layout): ``#! FIELDS time s_1 [s_2] sigma_1
[sigma_2] height biasf`` with time in ps and the deposited height in kJ/mol;
``restart=True`` re-reads it (re-deposits every hill) and appends.
Checkpoints store the grid itself (:meth:`get_state`), bit for bit.
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from numba import njit

from sponge.cv.base import CollectiveVariable, periodic_difference
from sponge.quantities import BOLTZ


# --------------------------------------------------------------------- kernels
@njit(cache=True, inline="always")
def _locate(s, lo, dx, n, periodic):
    """(cell index k, next index k1, fraction t, inside flag) of ``s`` on one axis."""
    u = (s - lo) / dx
    if periodic:
        u = u - n * math.floor(u / n)
        k = int(math.floor(u))
        if k >= n:
            k = n - 1
        t = u - k
        return k, (k + 1) % n, t, True
    inside = True
    if u < 0.0:
        u = 0.0
        inside = False
    elif u > n - 1:
        u = n - 1.0
        inside = False
    k = int(math.floor(u))
    if k > n - 2:
        k = n - 2
    return k, k + 1, u - k, inside


@njit(cache=True, inline="always")
def _hermite(t):
    """Basis (h00, h10, h01, h11) and their t-derivatives."""
    t2 = t * t
    t3 = t2 * t
    return ((2 * t3 - 3 * t2 + 1, t3 - 2 * t2 + t, -2 * t3 + 3 * t2, t3 - t2),
            (6 * t2 - 6 * t, 3 * t2 - 4 * t + 1, -6 * t2 + 6 * t, 3 * t2 - 2 * t))


@njit(cache=True)
def interp1d_kernel(s, lo, dx, n, periodic, v, d):
    """Cubic Hermite bias and dV/ds at ``s`` (dV/ds = 0 outside the grid)."""
    k, k1, t, inside = _locate(s, lo, dx, n, periodic)
    h, dh = _hermite(t)
    val = h[0] * v[k] + h[1] * dx * d[k] + h[2] * v[k1] + h[3] * dx * d[k1]
    der = (dh[0] * v[k] + dh[2] * v[k1]) / dx + dh[1] * d[k] + dh[3] * d[k1]
    if not inside:
        der = 0.0
    return val, der


@njit(cache=True)
def interp2d_kernel(s0, s1, lo0, dx0, n0, per0, lo1, dx1, n1, per1, v, d0, d1, d01):
    """Bicubic Hermite bias and (dV/ds0, dV/ds1) at ``(s0, s1)``."""
    i, i1, t, in0 = _locate(s0, lo0, dx0, n0, per0)
    j, j1, u, in1 = _locate(s1, lo1, dx1, n1, per1)
    ht, dht = _hermite(t)
    hu, dhu = _hermite(u)
    # value basis at the two ends: (h00, h01), derivative basis: (h10, h11)
    a = (ht[0], ht[2])
    b = (ht[1] * dx0, ht[3] * dx0)
    da = (dht[0] / dx0, dht[2] / dx0)
    db = (dht[1], dht[3])
    c = (hu[0], hu[2])
    e = (hu[1] * dx1, hu[3] * dx1)
    dc = (dhu[0] / dx1, dhu[2] / dx1)
    de = (dhu[1], dhu[3])
    ii = (i, i1)
    jj = (j, j1)
    val = 0.0
    g0 = 0.0
    g1 = 0.0
    for p in range(2):
        for q in range(2):
            f = v[ii[p], jj[q]]
            fx = d0[ii[p], jj[q]]
            fy = d1[ii[p], jj[q]]
            fxy = d01[ii[p], jj[q]]
            val += a[p] * c[q] * f + b[p] * c[q] * fx + a[p] * e[q] * fy + b[p] * e[q] * fxy
            g0 += da[p] * c[q] * f + db[p] * c[q] * fx + da[p] * e[q] * fy + db[p] * e[q] * fxy
            g1 += a[p] * dc[q] * f + b[p] * dc[q] * fx + a[p] * de[q] * fy + b[p] * de[q] * fxy
    if not in0:
        g0 = 0.0
    if not in1:
        g1 = 0.0
    return val, g0, g1


@njit(cache=True)
def subtract_scaled_kernel(forces, atoms, coef, grad):
    """``forces[atoms] -= coef * grad`` in place."""
    for a in range(atoms.shape[0]):
        i = atoms[a]
        for m in range(3):
            forces[i, m] -= coef * grad[a, m]


def _logsumexp(x: np.ndarray) -> float:
    m = float(np.max(x))
    return m + math.log(float(np.sum(np.exp(x - m))))


# ---------------------------------------------------------------------- grid
class BiasGrid:
    """Bias values and analytic derivatives on a regular 1-D or 2-D grid.

    A non-periodic axis has ``bins + 1`` points from ``low`` to ``high``; a
    periodic one has ``bins`` points from ``low`` with spacing ``period/bins``.

    Attributes:
        axes: grid coordinates per dimension.
        values: ``V`` at the grid points, kJ/mol, shape ``(n_0[, n_1])``.
        derivatives: ``[dV/ds_0, dV/ds_1]`` of the same shape.
        mixed: ``d2V/ds_0 ds_1`` (2-D only).
    """

    def __init__(self, low: Sequence[float], high: Sequence[float], bins: Sequence[int],
                 periods: Sequence[float | None]) -> None:
        self.ndim = len(low)
        self.low = [float(x) for x in low]
        self.high = [float(x) for x in high]
        self.periods = list(periods)
        self.bins = [int(b) for b in bins]
        self.axes: list[np.ndarray] = []
        self.spacing: list[float] = []
        for lo, hi, nb, per in zip(self.low, self.high, self.bins, self.periods, strict=True):
            if per is not None:
                dx = per / nb
                self.axes.append(lo + dx * np.arange(nb))
            else:
                dx = (hi - lo) / nb
                self.axes.append(lo + dx * np.arange(nb + 1))
            self.spacing.append(dx)
        shape = tuple(len(a) for a in self.axes)
        self.values = np.zeros(shape)
        self.derivatives = [np.zeros(shape) for _ in range(self.ndim)]
        self.mixed = np.zeros(shape) if self.ndim == 2 else None

    def inside(self, s: np.ndarray) -> np.ndarray:
        """Per dimension: is ``s_d`` within the grid (always True when periodic)."""
        return np.array([per is not None or lo <= x <= hi for x, lo, hi, per in
                         zip(s, self.low, self.high, self.periods, strict=True)])

    def evaluate(self, s: np.ndarray) -> tuple[float, np.ndarray]:
        """``(V(s), dV/ds)`` by (bi)cubic Hermite interpolation."""
        if self.ndim == 1:
            v, d = interp1d_kernel(float(s[0]), self.low[0], self.spacing[0],
                                   len(self.axes[0]), self.periods[0] is not None,
                                   self.values, self.derivatives[0])
            return float(v), np.array([d])
        v, g0, g1 = interp2d_kernel(
            float(s[0]), float(s[1]), self.low[0], self.spacing[0], len(self.axes[0]),
            self.periods[0] is not None, self.low[1], self.spacing[1], len(self.axes[1]),
            self.periods[1] is not None, self.values, self.derivatives[0],
            self.derivatives[1], self.mixed)
        return float(v), np.array([g0, g1])

    def add_gaussian(self, center: np.ndarray, sigma: np.ndarray, height: float) -> None:
        """Add ``height * exp(-sum delta^2 / (2 sigma^2))`` (values and derivatives)."""
        g, dg = [], []
        for d in range(self.ndim):
            delta = periodic_difference(self.axes[d], center[d], self.periods[d])
            gd = np.exp(-0.5 * (delta / sigma[d]) ** 2)
            g.append(gd)
            dg.append(-delta / sigma[d] ** 2 * gd)
        if self.ndim == 1:
            self.values += height * g[0]
            self.derivatives[0] += height * dg[0]
        else:
            self.values += height * np.outer(g[0], g[1])
            self.derivatives[0] += height * np.outer(dg[0], g[1])
            self.derivatives[1] += height * np.outer(g[0], dg[1])
            self.mixed += height * np.outer(dg[0], dg[1])

    def arrays(self) -> dict:
        """The grid arrays by name (for checkpoints)."""
        d = {"values": self.values, **{f"d{k}": a for k, a in enumerate(self.derivatives)}}
        if self.mixed is not None:
            d["mixed"] = self.mixed
        return d

    def set_arrays(self, d: dict) -> None:
        """Restore what :meth:`arrays` returned."""
        if np.shape(d["values"]) != self.values.shape:
            raise ValueError(f"bias grid of shape {np.shape(d['values'])} does not fit this "
                             f"grid {self.values.shape}")
        self.values = np.array(d["values"], dtype=np.float64)
        self.derivatives = [np.array(d[f"d{k}"], dtype=np.float64) for k in range(self.ndim)]
        if self.ndim == 2:
            self.mixed = np.array(d["mixed"], dtype=np.float64)


def _per_cv(x, n: int, what: str) -> list:
    if x is None:
        return [None] * n
    arr = list(np.atleast_1d(np.asarray(x, dtype=object)))
    if len(arr) != n:
        raise ValueError(f"Metadynamics: {what} needs {n} value(s) (one per CV); got {x!r}")
    return arr


# ------------------------------------------------------------------ the bias
class Metadynamics:
    """Well-tempered metadynamics bias on 1 or 2 CVs (see the module docstring).

    Args:
        cvs: one CV or a list of 1-2 :class:`sponge.cv.CollectiveVariable`.
        temperature: simulation temperature T, K; None takes the thermostat's
            (through :class:`sponge.Simulation`).
        height: initial Gaussian height h_0, kJ/mol (> 0).
        sigma: Gaussian width per CV (CV units: nm or rad).
        bias_factor: gamma > 1 (well-tempered); None for plain metadynamics.
        pace: steps between depositions.
        grid_min, grid_max: grid bounds per CV (default: a periodic CV's
            bounds; required for a non-periodic CV).
        grid_bins: bins per CV (default: ``ceil(range / (sigma / 5))``).
        hills_file: path of the hills file (None: not written), created at the
            first deposition (so a restart can still cut it back).
        grid_file: path of the bias-grid file written every ``grid_interval``
            depositions and by :meth:`close` (None: not written).
        grid_interval: depositions between grid writes.
        restart: re-deposit the hills found in ``hills_file`` and append to it.
        name: label of this bias.

    Raises:
        ValueError: a missing or inconsistent parameter, naming it and the CV.
    """

    def __init__(self, cvs, temperature: float | None, height: float, sigma,
                 bias_factor: float | None = None, pace: int = 500, grid_min=None,
                 grid_max=None, grid_bins=None, hills_file: str | os.PathLike | None = None,
                 grid_file: str | os.PathLike | None = None, grid_interval: int = 100,
                 restart: bool = False, name: str = "metad") -> None:
        self.cvs: list[CollectiveVariable] = (
            [cvs] if isinstance(cvs, CollectiveVariable) else list(cvs))
        n = len(self.cvs)
        if n not in (1, 2):
            raise ValueError(f"Metadynamics: 1 or 2 CVs supported; got {n}")
        for cv in self.cvs:
            if not hasattr(cv, "local"):
                raise ValueError(f"Metadynamics: {cv!r} is not a sponge.cv CollectiveVariable")
        if temperature is not None and not temperature > 0:
            raise ValueError(f"Metadynamics: temperature must be > 0 K; got {temperature!r}")
        if not height > 0:
            raise ValueError(f"Metadynamics: height must be > 0 kJ/mol; got {height!r}")
        if bias_factor is not None and not bias_factor > 1:
            raise ValueError(f"Metadynamics: bias_factor must be > 1 (or None for plain "
                             f"metadynamics); got {bias_factor!r}")
        if isinstance(pace, bool) or not isinstance(pace, int | np.integer) or pace <= 0:
            raise ValueError(f"Metadynamics: pace must be a positive number of steps; "
                             f"got {pace!r}")
        self.temperature = None if temperature is None else float(temperature)
        self.height = float(height)
        self.bias_factor = None if bias_factor is None else float(bias_factor)
        self.pace = int(pace)
        self.interval = self.pace
        self.name = name
        self.sigma = np.array([float(s) for s in _per_cv(sigma, n, "sigma")])
        for cv, s in zip(self.cvs, self.sigma, strict=True):
            if not s > 0:
                raise ValueError(f"Metadynamics: sigma of CV {cv.name!r} must be > 0; got {s}")
        lows, highs, bins = [], [], []
        for cv, lo, hi, nb, sg in zip(self.cvs, _per_cv(grid_min, n, "grid_min"),
                                      _per_cv(grid_max, n, "grid_max"),
                                      _per_cv(grid_bins, n, "grid_bins"), self.sigma,
                                      strict=True):
            if cv.periodic:
                lo = cv.bounds[0] if lo is None else float(lo)
                hi = cv.bounds[1] if hi is None else float(hi)
                if not math.isclose(hi - lo, cv.period, rel_tol=1e-9):
                    raise ValueError(f"Metadynamics: the grid of periodic CV {cv.name!r} must "
                                     f"span its period {cv.period}; got [{lo}, {hi}]")
            elif lo is None or hi is None:
                raise ValueError(f"Metadynamics: CV {cv.name!r} is not periodic: give "
                                 f"grid_min and grid_max")
            lo, hi = float(lo), float(hi)
            if not hi > lo:
                raise ValueError(f"Metadynamics: grid of CV {cv.name!r}: grid_max {hi} must "
                                 f"exceed grid_min {lo}")
            nb = math.ceil((hi - lo) / (sg / 5.0)) if nb is None else int(nb)
            if nb < 2:
                raise ValueError(f"Metadynamics: CV {cv.name!r} needs at least 2 grid bins")
            lows.append(lo)
            highs.append(hi)
            bins.append(nb)
        self.grid = BiasGrid(lows, highs, bins, [cv.period for cv in self.cvs])
        self.atoms = np.unique(np.concatenate([cv.atoms for cv in self.cvs]))
        self._slots = [np.searchsorted(self.atoms, cv.atoms) for cv in self.cvs]
        self.n_hills = 0
        self.ct = 0.0
        self.hills_file = None if hills_file is None else Path(hills_file)
        self.grid_file = None if grid_file is None else Path(grid_file)
        self.grid_interval = int(grid_interval)
        self._hills_fh = None
        self._hills_keep = 0      # rows of an existing hills file kept when it is (re)opened
        self._warned_outside: set[str] = set()
        self._last_sv: tuple | None = None
        if restart and self.hills_file is not None and self.hills_file.exists():
            self.load_hills(self.hills_file)

    @property
    def kt(self) -> float:
        """k_B T, kJ/mol."""
        if self.temperature is None:
            raise RuntimeError("Metadynamics: the temperature is unknown; pass temperature=... "
                               "or use the bias through sponge.Simulation with a thermostat")
        return BOLTZ * self.temperature

    def bind(self, system, temperature: float | None = None) -> None:
        """Take the thermostat temperature when none was given (called by Simulation).

        Raises:
            ValueError: a CV names an atom the system does not have.
        """
        if self.temperature is None and temperature is not None:
            self.temperature = float(temperature)
            if self.n_hills:
                self._update_ct()
        top = int(self.atoms.max())
        if top >= system.n_atoms:
            bad = next(cv for cv in self.cvs if int(cv.atoms.max()) == top)
            raise ValueError(f"Metadynamics: CV {bad.name!r} uses atom {top}; the system has "
                             f"{system.n_atoms} atoms")

    # ------------------------------------------------------------- evaluation
    def cv_values(self, positions: np.ndarray, box: np.ndarray | None = None) -> np.ndarray:
        """The CV values ``(n_cvs,)`` at ``positions`` nm."""
        return np.array([cv.value(positions, box) for cv in self.cvs])

    def bias_at(self, s) -> float:
        """``V(s)`` kJ/mol at CV values ``s`` (interpolated on the grid)."""
        return self.grid.evaluate(np.atleast_1d(np.asarray(s, dtype=np.float64)))[0]

    def _check_inside(self, s: np.ndarray) -> None:
        g = self.grid
        if all(per is not None or lo <= x <= hi for x, lo, hi, per in
               zip(s.tolist(), g.low, g.high, g.periods, strict=True)):
            return
        inside = g.inside(s)
        if not inside.all():
            for cv, ok, x in zip(self.cvs, inside, s, strict=True):
                if not ok and cv.name not in self._warned_outside:
                    self._warned_outside.add(cv.name)
                    warnings.warn(f"Metadynamics: CV {cv.name!r} = {x:.6g} is outside its grid "
                                  f"[{self.grid.low[self.cvs.index(cv)]:.6g}, "
                                  f"{self.grid.high[self.cvs.index(cv)]:.6g}]: the bias is "
                                  f"held at its edge value there (no force); widen the grid",
                                  RuntimeWarning, stacklevel=3)

    def modify(self, state, energy: float, forces: np.ndarray) -> tuple[float, np.ndarray]:
        """Add the bias: ``(energy + V(s), forces - dV/ds ds/dx)``; no side effect on V.

        Args:
            state: the :class:`sponge.State` (positions nm, box nm).
            energy: potential energy (possibly already biased), kJ/mol.
            forces: ``(n_atoms, 3)`` kJ/mol/nm, updated in place and returned.
        """
        pos = state.positions
        box = state.box
        vals = []
        grads = []
        for cv in self.cvs:
            x, g = cv.local(pos, box)
            vals.append(x)
            grads.append(g)
        s = np.array(vals)
        self._check_inside(s)
        v, dv = self.grid.evaluate(s)
        if forces.dtype == np.float64 and forces.flags.c_contiguous:
            for k, cv in enumerate(self.cvs):
                subtract_scaled_kernel(forces, cv.atoms, float(dv[k]), grads[k])
        else:
            for k, cv in enumerate(self.cvs):
                np.subtract.at(forces, cv.atoms, dv[k] * grads[k])
        self._last_sv = (s, v, self.ct)
        return energy + v, forces

    def report_columns(self, state=None) -> dict[str, float]:
        """CV values, ``bias`` V kJ/mol, ``rbias`` V - c(t) and ``ct`` c(t), kJ/mol.

        With ``state`` the values are computed for it; otherwise those of the
        last :meth:`modify` call are returned.
        """
        if state is None:
            if self._last_sv is None:     # nothing evaluated yet: the keys, NaN values
                s, v, ct = np.full(len(self.cvs), np.nan), float("nan"), self.ct
            else:
                s, v, ct = self._last_sv
            return {**{cv.name: float(x) for cv, x in zip(self.cvs, s, strict=True)},
                    "bias": v, "rbias": v - ct, "ct": ct}
        s = self.cv_values(state.positions, state.box)
        v = self.bias_at(s)
        return {**{cv.name: float(x) for cv, x in zip(self.cvs, s, strict=True)},
                "bias": v, "rbias": v - self.ct, "ct": self.ct}

    def free_energy(self) -> tuple[list[np.ndarray], np.ndarray]:
        """Estimate of F(s) on the grid: ``-gamma/(gamma-1) V`` (``-V`` when plain), min 0."""
        factor = 1.0 if self.bias_factor is None else self.bias_factor / (self.bias_factor - 1)
        f = -factor * self.grid.values
        return [a.copy() for a in self.grid.axes], f - f.min()

    # ------------------------------------------------------------- deposition
    def hill_height(self, s) -> float:
        """Height (kJ/mol) a hill deposited at ``s`` would get now."""
        if self.bias_factor is None:
            return self.height
        return self.height * math.exp(-self.bias_at(s) / ((self.bias_factor - 1.0) * self.kt))

    def deposit(self, s, time: float = 0.0) -> float:
        """Deposit one hill at CV values ``s``; returns its height (kJ/mol)."""
        s = np.atleast_1d(np.asarray(s, dtype=np.float64))
        h = self.hill_height(s)
        self._add_hill(s, h)
        self._write_hill(time, s, h)
        if self.grid_file is not None and self.n_hills % self.grid_interval == 0:
            self.write_grid(self.grid_file)
        return h

    def _add_hill(self, s: np.ndarray, h: float) -> None:
        self.grid.add_gaussian(s, self.sigma, h)
        self.n_hills += 1
        self._update_ct()

    def _update_ct(self) -> None:
        if self.temperature is None:     # hills re-read before bind: done in bind()
            return
        bv = self.grid.values.reshape(-1) / self.kt
        if self.bias_factor is None:
            self.ct = self.kt * (_logsumexp(bv) - math.log(bv.size))
        else:
            g = self.bias_factor
            self.ct = self.kt * (_logsumexp(g / (g - 1) * bv) - _logsumexp(bv / (g - 1)))

    # ------------------------------------------------------ simulation hooks
    def start(self, simulation) -> None:
        """Called by :class:`sponge.Simulation` at the start of each run."""

    def steps_until_next(self, step: int) -> int:
        """Steps until the next deposition."""
        return self.pace - step % self.pace

    def wants_report(self, step: int) -> bool:
        """True on deposition steps."""
        return step % self.pace == 0

    def report(self, simulation, state) -> None:
        """Deposit a hill at the current CV values and refresh the integrator's forces."""
        self.deposit(self.cv_values(state.positions, state.box), time=state.time)
        integ = simulation.integrator
        if hasattr(integ, "invalidate"):
            integ.invalidate()
            integ.compute_forces(state)

    # ------------------------------------------------------------------- files
    def _open_hills(self, truncate_to: int) -> None:
        if self.hills_file is None:
            return
        if self._hills_fh is not None:
            self._hills_fh.close()
        path = self.hills_file
        path.parent.mkdir(parents=True, exist_ok=True)
        keep: list[str] = []
        if truncate_to > 0 and path.exists():
            rows = [ln for ln in path.read_text().splitlines() if ln and not ln.startswith("#")]
            keep = rows[:truncate_to]
        fh = open(path, "w", buffering=1)  # noqa: SIM115 - held open for appends
        names = [cv.name for cv in self.cvs]
        fh.write("#! FIELDS time " + " ".join(names) + " "
                 + " ".join(f"sigma_{c}" for c in names) + " height biasf\n")
        fh.write(f"#! SET temperature {self.temperature!r}\n")
        for ln in keep:
            fh.write(ln + "\n")
        self._hills_fh = fh

    def _write_hill(self, time: float, s: np.ndarray, h: float) -> None:
        if self.hills_file is None:
            return
        if self._hills_fh is None:   # opened lazily: a restart may still cut it back
            self._open_hills(truncate_to=self._hills_keep)
        biasf = -1 if self.bias_factor is None else self.bias_factor
        cols = [repr(float(time)), *(repr(float(x)) for x in s),
                *(repr(float(x)) for x in self.sigma), repr(float(h)), repr(float(biasf))]
        self._hills_fh.write(" ".join(cols) + "\n")

    def load_hills(self, path: str | os.PathLike) -> int:
        """Re-deposit every hill of a hills file onto the grid; returns how many.

        Rows are ``time s_1 [s_2] sigma_1 [sigma_2] height biasf``. The hills
        file of this bias (if any) is rewritten with them and then appended to.

        Raises:
            ValueError: a malformed row (naming the file and line).
        """
        path = Path(path)
        n = len(self.cvs)
        count = 0
        for lineno, line in enumerate(path.read_text().splitlines(), start=1):
            if not line.strip() or line.startswith("#"):
                continue
            try:
                row = [float(x) for x in line.split()]
            except ValueError as exc:
                raise ValueError(f"{path}:{lineno}: not a number in hills row {line!r}") from exc
            if len(row) != 2 * n + 3:
                raise ValueError(f"{path}:{lineno}: expected {2 * n + 3} columns (time, {n} "
                                 f"CVs, {n} sigmas, height, biasf); got {len(row)}")
            s = np.array(row[1:1 + n])
            sig = np.array(row[1 + n:1 + 2 * n])
            if not np.allclose(sig, self.sigma):
                raise ValueError(f"{path}:{lineno}: sigma {sig.tolist()} differs from this "
                                 f"bias's {self.sigma.tolist()}")
            self._add_hill(s, row[1 + 2 * n])
            count += 1
        if self.hills_file is not None and path.resolve() == self.hills_file.resolve():
            self._reopen_hills(count)
        return count

    def _reopen_hills(self, keep: int) -> None:
        if self._hills_fh is not None:
            self._hills_fh.close()
            self._hills_fh = None
        self._hills_keep = keep

    def write_grid(self, path: str | os.PathLike) -> None:
        """Write the bias grid: ``s_1 [s_2] bias dbias_ds_1 [dbias_ds_2]`` per point."""
        g = self.grid
        names = [cv.name for cv in self.cvs]
        header = ("#! FIELDS " + " ".join(names) + " bias "
                  + " ".join(f"der_{c}" for c in names) + "\n")
        header += f"#! SET nbins {' '.join(str(len(a)) for a in g.axes)}\n"
        header += f"#! SET ct {self.ct!r}\n"
        mesh = np.meshgrid(*g.axes, indexing="ij")
        cols = [m.reshape(-1) for m in mesh] + [g.values.reshape(-1)] + [
            d.reshape(-1) for d in g.derivatives]
        body = "\n".join(" ".join(f"{x:.10g}" for x in row) for row in np.column_stack(cols))
        from sponge.reporters.base import atomic_write_bytes

        atomic_write_bytes(path, (header + body + "\n").encode())

    def close(self) -> None:
        """Close the hills file and write the final grid (when a grid file is set)."""
        if self._hills_fh is not None:
            self._hills_fh.close()
            self._hills_fh = None
        if self.grid_file is not None:
            self.write_grid(self.grid_file)

    # ------------------------------------------------------------ checkpoints
    def get_state(self) -> dict:
        """Grid arrays, hill count and c(t) (plain data) for checkpoints."""
        return {"kind": "Metadynamics", "n_hills": self.n_hills, "ct": self.ct,
                "grid": {k: v.copy() for k, v in self.grid.arrays().items()}}

    def set_state(self, d: dict) -> None:
        """Restore :meth:`get_state`'s output; the hills file is cut back to match."""
        if d.get("kind") != "Metadynamics":
            raise ValueError(f"Metadynamics.set_state: not a metadynamics state ({d.get('kind')})")
        self.grid.set_arrays(d["grid"])
        self.n_hills = int(d["n_hills"])
        self.ct = float(d["ct"])
        if self.hills_file is not None:
            self._reopen_hills(self.n_hills)

    def __repr__(self) -> str:
        return (f"Metadynamics(cvs={[cv.name for cv in self.cvs]}, height={self.height}, "
                f"sigma={self.sigma.tolist()}, bias_factor={self.bias_factor}, "
                f"pace={self.pace}, hills={self.n_hills})")
