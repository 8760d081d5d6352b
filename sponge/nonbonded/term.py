"""The nonbonded force term: LJ + Coulomb in every OpenMM nonbonded method.

:class:`NonbondedTerm` reproduces OpenMM's ``NonbondedForce`` (Reference
platform, double precision) for the methods ``NoCutoff``,
``CutoffNonPeriodic``, ``CutoffPeriodic`` (reaction field), ``Ewald`` and
``PME``, with exclusions, scaled 1-4 exceptions, the LJ switching function and
the long-range dispersion correction. Energy components:

- ``lj``: direct-space LJ of all listed pairs plus the exceptions' LJ;
- ``coulomb``: direct-space Coulomb (plain, reaction field or erfc) plus the
  exceptions' Coulomb, the Ewald exclusion correction and (Ewald/PME) the
  self and neutralising-background energies;
- ``coulomb_recip``: the Ewald / PME reciprocal sum (Ewald and PME only);
- ``lj_dispersion``: the dispersion correction ``C / V`` (when on and periodic).

Note: OpenMM puts the self and background energies into the reciprocal-space
force group; :meth:`NonbondedTerm.self_energy` gives them separately.
"""

from __future__ import annotations

import math

import numpy as np
from numba import get_num_threads, njit

from ..neighbor_list import NeighborList, check_box, exclusions_csr
from .direct import (
    MODE_EWALD,
    MODE_PLAIN,
    MODE_REACTION_FIELD,
    chunk_bounds,
    erfc_table,
    exception_kernel,
    pack,
    pair_kernel,
    pair_kernel_serial,
    reduce_forces,
)
from .ewald import EwaldReciprocal
from .parameters import (
    ONE_4PI_EPS0,
    dispersion_coefficient,
    ewald_alpha,
    ewald_kmax,
    pme_grid,
)
from .pme import PMEReciprocal, ewald_self_energy

# below this many atoms the pair kernel runs serially: a parallel launch costs tens of
# microseconds (measured: alanine dipeptide, 2 threads, 92 us vs 25 us per evaluation)
SERIAL_BELOW = 2000

METHODS = ("NoCutoff", "CutoffNonPeriodic", "CutoffPeriodic", "Ewald", "PME")
_PERIODIC = ("CutoffPeriodic", "Ewald", "PME")


def _value(x, unit=None) -> float:
    """A plain float from an openmm.unit Quantity (in ``unit``) or a number."""
    if hasattr(x, "value_in_unit"):
        return float(x.value_in_unit(unit)) if unit is not None else float(x._value)
    return float(x)


class NonbondedTerm:
    """Lennard-Jones + Coulomb with exclusions and exceptions (OpenMM's NonbondedForce).

    Args:
        charges: ``(n,)`` e. sigmas: ``(n,)`` nm. epsilons: ``(n,)`` kJ/mol.
        exception_pairs: ``(m, 2)`` atom pairs excluded from the normal
            interaction; each interacts instead with ``exception_chargeprods``
            (e^2), ``exception_sigmas`` (nm), ``exception_epsilons`` (kJ/mol),
            all ``(m,)``; a pair with zero charge product and epsilon is a pure exclusion.
        method: one of ``"NoCutoff"``, ``"CutoffNonPeriodic"``, ``"CutoffPeriodic"``,
            ``"Ewald"``, ``"PME"``.
        cutoff: nm (ignored for NoCutoff).
        switch_distance: nm where the LJ switch starts, or None for none.
        dispersion_correction: add OpenMM's long-range LJ correction (periodic methods).
        ewald_error_tolerance: OpenMM's ``ewaldErrorTolerance`` (picks alpha, grid, kmax).
        reaction_field_dielectric: solvent dielectric for the cutoff methods.
        box: ``(3, 3)`` nm, the box used to choose the PME grid / Ewald kmax (like
            OpenMM's default box); if None, the first box evaluated is used.
        pme_alpha, pme_grid: explicit PME (or Ewald) alpha (1/nm) and grid, as
            ``NonbondedForce.setPMEParameters``; alpha 0/None means automatic.
        exceptions_use_pbc: minimum image for exception pairs (OpenMM's flag).
        skin: Verlet skin of the neighbour list, nm.
        dtype: ``np.float64`` (default) or ``np.float32`` for the direct-space pair
            kernel (reciprocal space and exceptions stay in float64).

    Example:
        >>> term = NonbondedTerm([1.0, -1.0], [0.3, 0.3], [0.5, 0.5])
        >>> e, f = term.energy_forces(np.array([[0.0, 0, 0], [0.5, 0, 0]]))
    """

    name = "nonbonded"

    def __init__(
        self,
        charges: np.ndarray,
        sigmas: np.ndarray,
        epsilons: np.ndarray,
        exception_pairs: np.ndarray | None = None,
        exception_chargeprods: np.ndarray | None = None,
        exception_sigmas: np.ndarray | None = None,
        exception_epsilons: np.ndarray | None = None,
        method: str = "NoCutoff",
        cutoff: float = 1.0,
        switch_distance: float | None = None,
        dispersion_correction: bool = True,
        ewald_error_tolerance: float = 5e-4,
        reaction_field_dielectric: float = 78.3,
        box: np.ndarray | None = None,
        pme_alpha: float | None = None,
        pme_grid: tuple[int, int, int] | None = None,
        exceptions_use_pbc: bool = False,
        skin: float = 0.1,
        dtype: type = np.float64,
    ) -> None:
        self.charges = np.ascontiguousarray(charges, dtype=np.float64)
        self.sigmas = np.ascontiguousarray(sigmas, dtype=np.float64)
        self.epsilons = np.ascontiguousarray(epsilons, dtype=np.float64)
        n = len(self.charges)
        self.n_atoms = n
        for label, arr in (("sigmas", self.sigmas), ("epsilons", self.epsilons)):
            if arr.shape != (n,):
                raise ValueError(f"{label} must have shape ({n},) like charges, got {arr.shape}")
            bad = np.nonzero(~np.isfinite(arr) | (arr < 0))[0]
            if len(bad):
                raise ValueError(f"atom {bad[0]}: {label[:-1]} {arr[bad[0]]} must be >= 0")
        if method not in METHODS:
            raise ValueError(f"unknown nonbonded method {method!r}; expected one of {METHODS}")
        self.method = method
        m = 0 if exception_pairs is None else len(exception_pairs)
        self.exception_pairs = np.ascontiguousarray(
            np.zeros((0, 2)) if m == 0 else exception_pairs, dtype=np.int64
        ).reshape(-1, 2)

        def exc(a: np.ndarray | None, label: str) -> np.ndarray:
            out = np.zeros(m) if a is None else np.ascontiguousarray(a, dtype=np.float64)
            if out.shape != (m,):
                raise ValueError(f"{label} must have shape ({m},), got {out.shape}")
            return out

        self.exception_chargeprods = exc(exception_chargeprods, "exception_chargeprods")
        self.exception_sigmas = exc(exception_sigmas, "exception_sigmas")
        self.exception_epsilons = exc(exception_epsilons, "exception_epsilons")
        if m:
            p = self.exception_pairs
            bad = np.nonzero((p < 0).any(1) | (p >= n).any(1) | (p[:, 0] == p[:, 1]))[0]
            if len(bad):
                raise ValueError(
                    f"exception {bad[0]}: pair {p[bad[0]].tolist()} is not two distinct atoms "
                    f"in 0..{n - 1}"
                )
            key = np.sort(p, axis=1)
            if len(np.unique(key, axis=0)) != m:
                raise ValueError("exception pairs contain a duplicate pair")
        self.cutoff = float(cutoff)
        self.periodic = method in _PERIODIC
        if switch_distance is not None and method != "NoCutoff":
            if not 0 <= switch_distance < self.cutoff:
                raise ValueError(
                    f"switch_distance {switch_distance} nm must satisfy 0 <= r_switch < cutoff "
                    f"{self.cutoff} nm"
                )
            self.switch_distance: float | None = float(switch_distance)
        else:
            self.switch_distance = None
        self.use_dispersion_correction = bool(dispersion_correction) and self.periodic
        self.ewald_error_tolerance = float(ewald_error_tolerance)
        self.reaction_field_dielectric = float(reaction_field_dielectric)
        self.exceptions_use_pbc = bool(exceptions_use_pbc) and self.periodic
        self.skin = float(skin)
        self.dtype = np.dtype(dtype)
        if self.dtype not in (np.float64, np.float32):
            raise ValueError(f"dtype must be float64 or float32, got {self.dtype}")
        eps_rf = self.reaction_field_dielectric
        self.krf = self.cutoff**-3 * (eps_rf - 1.0) / (2.0 * eps_rf + 1.0)
        self.crf = (1.0 / self.cutoff) * 3.0 * eps_rf / (2.0 * eps_rf + 1.0)
        self.dispersion_coefficient = (
            dispersion_coefficient(self.sigmas, self.epsilons, self.cutoff, self.switch_distance)
            if self.use_dispersion_correction
            else 0.0
        )
        self._user_alpha = None if not pme_alpha else float(pme_alpha)
        self._user_grid = None if pme_grid is None else tuple(int(g) for g in pme_grid)
        self.alpha = 0.0
        self.pme_grid: tuple[int, int, int] | None = None
        self.ewald_kmax: tuple[int, int, int] | None = None
        self._recip = None
        # kernel-side parameter arrays (q sqrt(k), sigma/2, 2 sqrt(eps)), reordered per build
        self._params = np.stack(
            [
                self.charges * math.sqrt(ONE_4PI_EPS0),
                0.5 * self.sigmas,
                2.0 * np.sqrt(self.epsilons),
            ],
            axis=1,
        )
        self._packed = np.zeros((n, 8), dtype=self.dtype)
        self._serial = n < SERIAL_BELOW
        self._n_chunks = self._threads()
        self._fbuf = np.zeros((self._n_chunks, n, 3), dtype=self.dtype)
        self._bounds = np.zeros(self._n_chunks + 1, dtype=np.int64)
        self._table, self._inv_h = np.zeros((2, 8)), 1.0
        if method == "NoCutoff":
            self.neighbor_list = None
            self._offsets, self._nbr = _all_pairs(n, self.exception_pairs)
            self._order = np.arange(n, dtype=np.int64)
            self._on_rebuild(self._order)
        else:
            self.neighbor_list = NeighborList(
                n, self.cutoff, self.skin, exclusions=self.exception_pairs, periodic=self.periodic
            )
        if box is not None and method in ("Ewald", "PME"):
            self._setup_reciprocal(check_box(box, self.cutoff))

    # ------------------------------------------------------------------ set-up
    def _setup_reciprocal(self, box: np.ndarray) -> None:
        tol = self.ewald_error_tolerance
        if self._user_alpha:
            self.alpha = self._user_alpha
        else:
            self.alpha = ewald_alpha(self.cutoff, tol)
        if self.method == "PME":
            if self._user_alpha and self._user_grid is not None:
                self.pme_grid = self._user_grid
            else:
                self.pme_grid = pme_grid(box, self.alpha, tol)
            self._recip = PMEReciprocal(self.charges, self.alpha, self.pme_grid)
        else:
            self.ewald_kmax = ewald_kmax(box, self.alpha, tol)
            self._recip = EwaldReciprocal(self.charges, self.alpha, self.ewald_kmax)
        self._table, self._inv_h = erfc_table(self.alpha * self.cutoff * (1.0 + 1e-6))

    def _on_rebuild(self, order: np.ndarray) -> None:
        offsets = self._offsets if self.neighbor_list is None else self.neighbor_list.offsets
        self._order = order
        self._set_chunks(offsets)
        self._params_sorted = np.ascontiguousarray(self._params[order]).astype(self.dtype)

    def _threads(self) -> int:
        """Number of pair-kernel chunks: one per numba thread, one for small systems."""
        return 1 if self._serial else max(1, get_num_threads())

    def _set_chunks(self, offsets: np.ndarray) -> None:
        """One force buffer per numba thread; re-split when the thread count changes."""
        n_threads = self._threads()
        if n_threads != self._n_chunks:
            self._n_chunks = n_threads
            self._fbuf = np.zeros((n_threads, self.n_atoms, 3), dtype=self.dtype)
        self._bounds = chunk_bounds(offsets, self._n_chunks)

    @classmethod
    def from_openmm(cls, force, box_vectors: np.ndarray | None = None, **kwargs) -> NonbondedTerm:
        """Translate an ``openmm.NonbondedForce``.

        Args:
            force: the OpenMM force.
            box_vectors: ``(3, 3)`` nm (the system's default box), used to choose the
                PME grid / Ewald kmax as OpenMM does; None for non-periodic systems.
            **kwargs: passed on to the constructor (``skin``, ``dtype``).

        Raises:
            ValueError: naming the unsupported feature (LJPME, parameter offsets,
                disabled direct space).
        """
        import openmm
        from openmm import unit

        nb = openmm.NonbondedForce
        names = {
            nb.NoCutoff: "NoCutoff",
            nb.CutoffNonPeriodic: "CutoffNonPeriodic",
            nb.CutoffPeriodic: "CutoffPeriodic",
            nb.Ewald: "Ewald",
            nb.PME: "PME",
        }
        method_id = force.getNonbondedMethod()
        if method_id == nb.LJPME:
            raise ValueError("NonbondedForce uses LJPME, which sponge does not support")
        if force.getNumParticleParameterOffsets() or force.getNumExceptionParameterOffsets():
            raise ValueError(
                "NonbondedForce uses particle/exception parameter offsets "
                f"({force.getNumParticleParameterOffsets()} particle, "
                f"{force.getNumExceptionParameterOffsets()} exception), which sponge does not "
                "support"
            )
        if not force.getIncludeDirectSpace():
            raise ValueError("NonbondedForce has includeDirectSpace=False, not supported")
        n = force.getNumParticles()
        q = np.empty(n)
        s = np.empty(n)
        e = np.empty(n)
        for i in range(n):
            qi, si, ei = force.getParticleParameters(i)
            q[i] = _value(qi, unit.elementary_charge)
            s[i] = _value(si, unit.nanometer)
            e[i] = _value(ei, unit.kilojoule_per_mole)
        m = force.getNumExceptions()
        pairs = np.empty((m, 2), dtype=np.int64)
        cp = np.empty(m)
        es = np.empty(m)
        ee = np.empty(m)
        for k in range(m):
            i, j, qq, sk, ek = force.getExceptionParameters(k)
            pairs[k] = (i, j)
            cp[k] = _value(qq, unit.elementary_charge**2)
            es[k] = _value(sk, unit.nanometer)
            ee[k] = _value(ek, unit.kilojoule_per_mole)
        alpha, gx, gy, gz = force.getPMEParameters()
        alpha = _value(alpha, unit.nanometer**-1)
        box = None
        if box_vectors is not None:
            if hasattr(box_vectors, "value_in_unit"):
                box_vectors = box_vectors.value_in_unit(unit.nanometer)
            box = np.array([[_value(c, unit.nanometer) for c in v] for v in box_vectors])
        method = names[method_id]
        return cls(
            q,
            s,
            e,
            pairs,
            cp,
            es,
            ee,
            method=method,
            cutoff=_value(force.getCutoffDistance(), unit.nanometer),
            switch_distance=(
                _value(force.getSwitchingDistance(), unit.nanometer)
                if force.getUseSwitchingFunction()
                else None
            ),
            dispersion_correction=force.getUseDispersionCorrection(),
            ewald_error_tolerance=force.getEwaldErrorTolerance(),
            reaction_field_dielectric=force.getReactionFieldDielectric(),
            box=box if method in _PERIODIC else None,
            pme_alpha=alpha if alpha else None,
            pme_grid=(gx, gy, gz) if alpha else None,
            exceptions_use_pbc=force.getExceptionsUsePeriodicBoundaryConditions(),
            **kwargs,
        )

    # ------------------------------------------------------------- evaluation
    def _prepare(self, positions: np.ndarray, box: np.ndarray | None) -> tuple:
        x = np.ascontiguousarray(positions, dtype=np.float64)
        if x.shape != (self.n_atoms, 3):
            raise ValueError(f"positions must have shape ({self.n_atoms}, 3), got {x.shape}")
        if self.periodic:
            if box is None:
                raise ValueError(f"nonbonded method {self.method} needs a periodic box (3, 3) nm")
            b = check_box(box, self.cutoff)
            if self.method in ("Ewald", "PME") and self._recip is None:
                self._setup_reciprocal(b)
        else:
            b = np.eye(3)
        if self.neighbor_list is not None and self.neighbor_list.update(
            x, b if self.periodic else None
        ):
            self._on_rebuild(self.neighbor_list.order)
        elif self._threads() != self._n_chunks:
            offsets = self._offsets if self.neighbor_list is None else self.neighbor_list.offsets
            self._set_chunks(offsets)
        return x, b

    def self_energy(self, box: np.ndarray) -> float:
        """Ewald self + neutralising-background energy (kJ/mol; 0 unless Ewald/PME)."""
        if self.method not in ("Ewald", "PME"):
            return 0.0
        b = check_box(box, self.cutoff)
        if self._recip is None:
            self._setup_reciprocal(b)
        return ewald_self_energy(self.charges, self.alpha, b[0, 0] * b[1, 1] * b[2, 2])

    def _evaluate(self, positions: np.ndarray, box: np.ndarray | None) -> tuple[dict, np.ndarray]:
        x, b = self._prepare(positions, box)
        if self.method == "NoCutoff":
            offsets, nbr = self._offsets, self._nbr
        else:
            offsets, nbr = self.neighbor_list.offsets, self.neighbor_list.neighbors
        mode = {
            "NoCutoff": MODE_PLAIN,
            "CutoffNonPeriodic": MODE_REACTION_FIELD,
            "CutoffPeriodic": MODE_REACTION_FIELD,
            "Ewald": MODE_EWALD,
            "PME": MODE_EWALD,
        }[self.method]
        # finite stand-in for "no cutoff": the kernel runs with fastmath (no inf allowed)
        cutoff = 1e150 if self.method == "NoCutoff" else self.cutoff
        sw = -1.0 if self.switch_distance is None else self.switch_distance
        if self._serial:
            self._packed[:, :3] = x[self._order]
            self._packed[:, 3:6] = self._params_sorted
        else:
            pack(x, self._params_sorted, self._order, self._packed)
        kernel = pair_kernel_serial if self._serial else pair_kernel
        e_lj, e_c = kernel(
            self._packed,
            offsets,
            nbr,
            self._bounds,
            b,
            self.periodic,
            mode,
            cutoff,
            self.alpha,
            self.krf,
            self.crf,
            sw,
            self._table,
            self._inv_h,
            self._fbuf,
        )
        forces = np.empty((self.n_atoms, 3))
        if self._serial:
            forces[self._order] = self._fbuf[0]
        else:
            reduce_forces(self._fbuf, self._order, forces)
        ex_lj, ex_c = exception_kernel(
            x,
            self.exception_pairs,
            self.exception_chargeprods,
            self.exception_sigmas,
            self.exception_epsilons,
            self.charges,
            b,
            self.exceptions_use_pbc,
            ONE_4PI_EPS0,
            self.alpha if mode == MODE_EWALD else 0.0,
            forces,
        )
        comps = {"lj": float(e_lj + ex_lj), "coulomb": float(e_c + ex_c)}
        if mode == MODE_EWALD:
            vol = b[0, 0] * b[1, 1] * b[2, 2]
            comps["coulomb"] += ewald_self_energy(self.charges, self.alpha, vol)
            e_rec, f_rec = self._recip.energy_forces(x, b)
            comps["coulomb_recip"] = float(e_rec)
            forces += f_rec
        if self.use_dispersion_correction:
            comps["lj_dispersion"] = self.dispersion_coefficient / (b[0, 0] * b[1, 1] * b[2, 2])
        return comps, forces

    def energy_components(self, positions: np.ndarray, box: np.ndarray | None = None) -> dict:
        """Energy components in kJ/mol (see the module docstring); they sum to :meth:`energy`."""
        return self._evaluate(positions, box)[0]

    def energy(self, positions: np.ndarray, box: np.ndarray | None = None) -> float:
        """Total nonbonded energy, kJ/mol, for ``(n, 3)`` positions (nm) and box (nm)."""
        return float(sum(self._evaluate(positions, box)[0].values()))

    def energy_forces(
        self, positions: np.ndarray, box: np.ndarray | None = None
    ) -> tuple[float, np.ndarray]:
        """Energy (kJ/mol) and forces ``(n, 3)`` (kJ/mol/nm) in one fused pass."""
        comps, forces = self._evaluate(positions, box)
        return float(sum(comps.values())), forces


def _all_pairs(n: int, exclusions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """CSR list of every pair ``i < j`` that is not excluded (for NoCutoff)."""
    ex_off, ex = exclusions_csr(n, exclusions)
    return _all_pairs_kernel(n, ex_off, ex)


@njit(cache=True)
def _all_pairs_kernel(n: int, ex_off: np.ndarray, ex: np.ndarray) -> tuple:
    offsets = np.zeros(n + 1, dtype=np.int64)
    for i in range(n):
        above = 0
        for k in range(ex_off[i], ex_off[i + 1]):
            if ex[k] > i:
                above += 1
        offsets[i + 1] = offsets[i] + (n - 1 - i) - above
    nbr = np.empty(offsets[n], dtype=np.int32)
    for i in range(n):
        pos = offsets[i]
        k = ex_off[i]
        for j in range(i + 1, n):
            while k < ex_off[i + 1] and ex[k] < j:
                k += 1
            if k < ex_off[i + 1] and ex[k] == j:
                continue
            nbr[pos] = j
            pos += 1
    return offsets, nbr
