"""Monte Carlo barostat (isotropic or anisotropic) and the molecule finder it needs.

Every ``frequency`` steps a volume move is tried (Chow & Ferguson, Comput.
Phys. Commun. 91, 283 (1995); Aqvist et al., Chem. Phys. Lett. 384, 288
(2004); OpenMM's ``MonteCarloBarostat``): ``dV`` is uniform in
``[-s, s]``; each molecule's centre (the mean of its atoms' positions) is
scaled with the box while the molecule keeps its internal geometry, so
constraints stay satisfied. The move is accepted with probability
``min(1, exp(-w/kT))``, ``w = dU + P dV - N_mol kT ln(V'/V)``. With a bias
(SITS, metadynamics) ``U`` is the biased (effective) potential, so the
pressure it samples is that of the effective potential (for SITS the virial
of the selected part scaled by ``f_b``); a bias with ``snapshot()`` /
``restore(snap)`` gets its reported values restored after a rejected move. The step size
``s`` starts at 1% of the volume and adapts as OpenMM's: every 10 attempts it
is divided by 1.1 when fewer than 25% were accepted, multiplied by 1.1 (at
most 0.3 V) when more than 75% were.

Anisotropic mode scales one Cartesian axis per move (chosen at random) with its
own pressure and step size, as OpenMM's ``MonteCarloAnisotropicBarostat``.
Units: pressure bar, temperature K, volume nm^3.
"""

from __future__ import annotations

import copy

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from sponge.quantities import BAR_TO_KJ_MOL_NM3, BOLTZ, box_volume


def find_molecules(system) -> list[np.ndarray]:
    """Groups of atoms joined by bonds, constraints, bonded terms or virtual sites.

    Bonds come from ``system.topology.bonds`` (if any), ``system.constraints``
    and every force term with an ``indices`` array of width 2 to 5 (bonds,
    angles, torsions, CMAP); a virtual site belongs with its parents.

    Returns:
        A list of sorted index arrays, one per molecule, ordered by first atom.
    """
    n = system.n_atoms
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []

    def link(idx: np.ndarray) -> None:
        idx = np.asarray(idx, dtype=np.int64)
        if idx.ndim != 2 or idx.shape[0] == 0 or idx.shape[1] < 2:
            return
        for k in range(1, idx.shape[1]):
            rows.append(idx[:, 0])
            cols.append(idx[:, k])

    if getattr(system, "topology", None) is not None:
        link(system.topology.bonds)
    link(system.constraints.indices)
    for term in system.terms:
        idx = getattr(term, "indices", None)
        if isinstance(idx, np.ndarray) and idx.ndim == 2 and 2 <= idx.shape[1] <= 5:
            link(idx)
    vs = system.virtual_sites
    if len(vs):
        for s in vs._avg2:
            link(np.array([[s[0], s[1], s[2]]]))
        for s in list(vs._avg3) + list(vs._oop):
            link(np.array([[s[0], s[1], s[2], s[3]]]))
    if rows:
        r = np.concatenate(rows)
        c = np.concatenate(cols)
        graph = coo_matrix((np.ones(len(r)), (r, c)), shape=(n, n))
        _, labels = connected_components(graph, directed=False)
    else:
        labels = np.arange(n)
    order = np.argsort(labels, kind="stable")
    _, starts = np.unique(labels[order], return_index=True)
    groups = np.split(order, starts[1:])
    groups.sort(key=lambda g: int(g[0]))
    return [np.sort(g) for g in groups]


class MonteCarloBarostat:
    """Constant pressure by Monte Carlo volume moves.

    Args:
        pressure: bar (a 3-sequence of per-axis pressures with ``anisotropic``).
        temperature: K (that of the thermostat).
        frequency: steps between moves (0 disables).
        anisotropic: scale one axis at a time.
        scale_axes: with ``anisotropic``, which axes may change (x, y, z).

    Attach with ``integrator.barostat = MonteCarloBarostat(1.0, 300.0)``.
    """

    def __init__(self, pressure: float | tuple[float, float, float], temperature: float,
                 frequency: int = 25, anisotropic: bool = False,
                 scale_axes: tuple[bool, bool, bool] = (True, True, True)) -> None:
        p = np.broadcast_to(np.asarray(pressure, dtype=np.float64), (3,)).copy()
        if not anisotropic and np.ptp(p) != 0:
            raise ValueError("MonteCarloBarostat: per-axis pressures need anisotropic=True")
        if temperature <= 0:
            raise ValueError(f"MonteCarloBarostat: temperature must be > 0 K; got {temperature}")
        if frequency < 0:
            raise ValueError(f"MonteCarloBarostat: frequency must be >= 0; got {frequency}")
        self.pressure = p
        self.temperature = float(temperature)
        self.frequency = int(frequency) if frequency else 2**62
        self.anisotropic = bool(anisotropic)
        self.scale_axes = np.asarray(scale_axes, dtype=bool)
        if self.anisotropic and not self.scale_axes.any():
            raise ValueError("MonteCarloBarostat: scale_axes selects no axis")
        self.n_attempted = 0
        self.n_accepted = 0
        self.volume_scale: np.ndarray | None = None
        self._rng: np.random.Generator | None = None

    def bind(self, system, seed=None) -> None:
        """Find the molecules of ``system`` and seed the RNG (int or SeedSequence)."""
        if system.box is None:
            raise ValueError("MonteCarloBarostat needs a periodic system (system.box is None)")
        mols = find_molecules(system)
        self.n_molecules = len(mols)
        self._order = np.concatenate(mols)
        self._starts = np.cumsum([0] + [len(m) for m in mols])[:-1]
        self._counts = np.array([len(m) for m in mols], dtype=np.float64)
        self._mol_of_atom = np.empty(system.n_atoms, dtype=np.int64)
        for k, m in enumerate(mols):
            self._mol_of_atom[m] = k
        self._rng = np.random.Generator(np.random.PCG64(seed))
        self.volume_scale = None

    def _centres(self, pos: np.ndarray) -> np.ndarray:
        return np.add.reduceat(pos[self._order], self._starts, axis=0) / self._counts[:, None]

    def apply(self, integrator, state) -> bool:
        """Try one volume move on ``state`` (in place); returns True if accepted.

        Uses and updates ``integrator``'s cached energy and forces.
        """
        if self._rng is None:
            raise RuntimeError("MonteCarloBarostat: not bound (attach it to a bound integrator)")
        system = integrator.system
        box = state.box if state.box is not None else system.box
        volume = box_volume(box)
        if self.volume_scale is None:
            self.volume_scale = np.full(3, 0.01 * volume)
        integrator.compute_forces(state)
        e0, eb0, f0 = integrator._energy, integrator._biased_energy, integrator._forces
        axis = 0
        if self.anisotropic:
            axis = int(self._rng.choice(np.flatnonzero(self.scale_axes)))
        dv = self.volume_scale[axis] * 2.0 * (self._rng.random() - 0.5)
        new_volume = volume + dv
        if new_volume <= 0:
            self.n_attempted += 1
            return False
        if self.anisotropic:
            scale = np.ones(3)
            scale[axis] = new_volume / volume
        else:
            scale = np.full(3, (new_volume / volume) ** (1.0 / 3.0))
        old_pos = state.positions.copy()
        old_box = box.copy()
        centres = self._centres(state.positions)
        shift = centres * (scale - 1.0)
        state.positions += shift[self._mol_of_atom]
        state.box = box * scale[None, :]
        if len(system.virtual_sites):
            system.virtual_sites.compute_positions(state.positions)
        kt = BOLTZ * self.temperature
        bias = integrator.bias
        snap = bias.snapshot() if hasattr(bias, "snapshot") else None
        try:
            e1, f1 = system.energy_forces(state)
            eb1 = e1
            if integrator.bias is not None:
                eb1, f1 = integrator.bias.modify(state, e1, f1)
        except ValueError:  # e.g. the box became smaller than twice the cutoff
            e1, eb1, f1 = np.inf, np.inf, None
        p = self.pressure[axis] * BAR_TO_KJ_MOL_NM3
        w = (eb1 - eb0) + p * dv - self.n_molecules * kt * np.log(new_volume / volume)
        u = self._rng.random()
        accept = bool(np.isfinite(w) and (w <= 0 or u <= np.exp(-w / kt)))
        if accept:
            integrator._energy, integrator._biased_energy = float(e1), float(eb1)
            integrator._forces = f1
            self.n_accepted += 1
        else:
            state.positions[...] = old_pos
            state.box = old_box
            integrator._energy, integrator._biased_energy, integrator._forces = e0, eb0, f0
            if snap is not None:
                bias.restore(snap)
        integrator._pos_ref = state.positions
        integrator._cache_step = state.step
        self.n_attempted += 1
        if self.n_attempted >= 10:
            if self.n_accepted < 0.25 * self.n_attempted:
                self.volume_scale[axis] /= 1.1
                self.n_attempted = self.n_accepted = 0
            elif self.n_accepted > 0.75 * self.n_attempted:
                vol = box_volume(state.box)
                self.volume_scale[axis] = min(self.volume_scale[axis] * 1.1, 0.3 * vol)
                self.n_attempted = self.n_accepted = 0
        return accept

    def get_state(self) -> dict:
        """RNG, counters and step size (for a bit-for-bit restart)."""
        return {"rng": copy.deepcopy(self._rng.bit_generator.state),
                "n_attempted": self.n_attempted, "n_accepted": self.n_accepted,
                "volume_scale": None if self.volume_scale is None else self.volume_scale.tolist()}

    def set_state(self, d: dict) -> None:
        """Restore :meth:`get_state`."""
        self._rng.bit_generator.state = copy.deepcopy(d["rng"])
        self.n_attempted = int(d["n_attempted"])
        self.n_accepted = int(d["n_accepted"])
        vs = d["volume_scale"]
        self.volume_scale = None if vs is None else np.asarray(vs, dtype=np.float64)

    def __repr__(self) -> str:
        return (f"MonteCarloBarostat(pressure={self.pressure.tolist()}, "
                f"temperature={self.temperature}, frequency={self.frequency}, "
                f"anisotropic={self.anisotropic})")
