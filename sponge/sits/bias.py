"""SITS: selective integrated tempering sampling as a bias of the MD loop.

MD runs at the thermostat temperature ``T_0`` on the effective potential

    U_eff = U_tilde(E_s) + (U - E_s)
    U_tilde(E) = -(1/beta_0) ln sum_k n_k e^{-beta_k (E - s)} + s

so the forces are ``F = F_total + (f_b - 1) F_s`` with ``f_b = dU_tilde/dE_s``
(see :mod:`sponge.sits.estimator`), and the bias is ``Delta V = U_eff - U``
(kJ/mol). ``E_s = U_PP + lambda U_PW`` is the selected (solute) energy
(:mod:`sponge.sits.selection`); ``energy="total"`` (plain ITS, Gao 2008) uses
``E_s = U``. Canonical averages at ``T_0`` follow by reweighting each frame with
``exp(+beta_0 Delta V)`` (:func:`sponge.analysis.reweight`). The Monte Carlo
barostat accepts volume moves on ``U_eff``, which is the virial scaled by the
same ``(f_b - 1)`` on the selected part.

Modes: ``"observation"`` (no bias, E_s reported: choose the ladder and shift),
``"iteration"`` (n_k updated every ``update_interval`` records), ``"production"``
(n_k fixed: the data to reweight). ``mode="ITS"`` is ``energy="total"`` in
iteration mode.

Files: ``nk_restart_file`` (rewritten at every update: the shift, and per
temperature ``T_k``, ``ln n_k`` and the running normaliser) and
``nk_traj_file`` (one line per update: step and all ``ln n_k``); ``nk_in_file``
starts from a restart file.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from sponge.quantities import BOLTZ
from sponge.sits.estimator import (
    its_bias,
    its_record,
    log_nk_from_heat_capacity,
    log_sum_exp,
    update_log_nk,
)
from sponge.sits.ladder import check_temperatures, temperature_ladder
from sponge.sits.selection import SelectedEnergy, selection_mask

MODES = ("observation", "iteration", "production")
ENERGIES = ("selective", "total")


class SITS:
    """Selective integrated tempering sampling (``Simulation(..., bias=SITS(...))``).

    Args:
        selection: the solute: None (non-solvent residues), atom indices, a bool
            mask or residue names. Ignored with ``energy="total"``.
        t_low, t_high: ladder range, K. n_temperatures: K.
        spacing: ``"T"``, ``"beta"`` or ``"geometric"``.
        mode: ``"observation"``, ``"iteration"``, ``"production"`` (or ``"ITS"``).
        energy: ``"selective"`` (E_s = U_PP + lambda U_PW) or ``"total"`` (plain ITS).
        cross_factor: lambda, weight of the solute-solvent energy.
        update_interval: records (steps) between n_k updates.
        temperatures: explicit ladder (K), overrides t_low/t_high/n_temperatures.
        temperature: T_0, K; None takes the integrator's.
        energy_shift: s, kJ/mol; None sets it to the first E_s seen.
        log_nk: initial ln n_k ``(K,)``; default all 0.
        nk_in_file, nk_restart_file, nk_traj_file: see the module docstring.
        bonds_angles: also enhance the solute's bonds and angles.
        memory: None averages the n_k estimate over every window of the
            iteration (Gao); a number of windows lets older windows fade
            (weight ``exp(-age/memory)``), which converges faster when the
            early windows were taken far from equilibrium.
        complete_coulomb: with Ewald/PME, ``U_PP`` holds the solute pairs' full
            Coulomb energy (real-space ``erfc`` part plus the ``erf`` part the
            reciprocal sum holds; minimum image). False keeps only the
            real-space part, as SPONGE does; at an ordinary Ewald alpha that
            leaves 84-98 % of the Coulomb energy of pairs 0.3-0.5 nm apart out of
            ``E_s``, and with it most of what holds a peptide's backbone
            dipoles in place (``docs/validation/ala2_sits.md``).
        hot_to_cold: the populations the iteration aims at, as ``P_K / P_1``
            (geometric in k); 1 is Gao's flat target. A value above 1 spends
            more of the run at the hot end, where barriers are crossed, at
            the cost of fewer frames that reweight well to T_0 (the idea of
            Amber's ``fb_bias`` and MindSPONGE's ``weight_bias``).

    Attributes:
        log_nk: current ln n_k ``(K,)``. temperatures: ``(K,)`` K.
        populations: the normalised P_k of the current window (or production run).

    Example:
        >>> sits = sponge.SITS(selection=range(22), t_low=273, t_high=650)  # doctest: +SKIP
        >>> sim = sponge.Simulation(system, integrator, state, bias=sits)
        >>> sim.run(100_000); sits.mode = "production"; sim.run(1_000_000)
    """

    def __init__(self, selection=None, t_low: float = 273.0, t_high: float = 650.0,
                 n_temperatures: int = 100, spacing: str = "T", mode: str = "iteration",
                 energy: str = "selective", cross_factor: float = 0.5,
                 update_interval: int = 100, temperatures=None,
                 temperature: float | None = None, energy_shift: float | None = None,
                 log_nk=None, nk_in_file: str | Path | None = None,
                 nk_restart_file: str | Path | None = None,
                 nk_traj_file: str | Path | None = None, bonds_angles: bool = False,
                 memory: float | None = None, complete_coulomb: bool = True,
                 hot_to_cold: float = 1.0) -> None:
        if mode == "ITS":
            mode, energy = "iteration", "total"
        if energy not in ENERGIES:
            raise ValueError(f"SITS: energy must be one of {ENERGIES}; got {energy!r}")
        if not 0.0 <= cross_factor <= 1.0:
            raise ValueError(f"SITS: cross_factor must be in [0, 1]; got {cross_factor}")
        if int(update_interval) < 1:
            raise ValueError(f"SITS: update_interval must be >= 1; got {update_interval}")
        self.temperatures = (check_temperatures(temperatures) if temperatures is not None
                             else temperature_ladder(t_low, t_high, n_temperatures, spacing))
        self.beta = 1.0 / (BOLTZ * self.temperatures)
        self.selection = selection
        self.energy = energy
        self.cross_factor = float(cross_factor)
        self.update_interval = int(update_interval)
        self.temperature = None if temperature is None else float(temperature)
        self.energy_shift = None if energy_shift is None else float(energy_shift)
        self.bonds_angles = bool(bonds_angles)
        self.complete_coulomb = bool(complete_coulomb)
        if memory is not None and not memory > 0:
            raise ValueError(f"SITS: memory must be a positive number of windows; got {memory}")
        self.memory = None if memory is None else float(memory)
        if not hot_to_cold > 0:
            raise ValueError(f"SITS: hot_to_cold must be a positive ratio; got {hot_to_cold}")
        self.hot_to_cold = float(hot_to_cold)
        k = len(self.temperatures)
        self.log_nk = np.zeros(k) if log_nk is None else np.asarray(log_nk, float).copy()
        if self.log_nk.shape != (k,):
            raise ValueError(f"SITS: log_nk has shape {self.log_nk.shape}; the ladder has {k}")
        self.norm = np.zeros(k - 1)
        self.nk_restart_file = nk_restart_file
        self.nk_traj_file = nk_traj_file
        self._log_p = np.full(k, -np.inf)
        self._n_records = 0
        self.n_updates = 0
        self.mode = mode
        self._system = None
        self._selected: SelectedEnergy | None = None
        self._last = (math.nan, math.nan, math.nan, None)  # E_s, bias, f_b, F_s
        self._snap = None
        if nk_in_file is not None:
            self.load_nk(nk_in_file)

    # ---------------------------------------------------------------- settings
    @property
    def mode(self) -> str:
        """``"observation"``, ``"iteration"`` or ``"production"`` (a change starts a new window)."""
        return self._mode

    @mode.setter
    def mode(self, value: str) -> None:
        if value not in MODES:
            raise ValueError(f"SITS: mode must be one of {MODES} (or 'ITS'); got {value!r}")
        self._mode = value
        self._log_p = np.full(len(self.temperatures), -np.inf)
        self._n_records = 0
        # the integrator's cached biased forces were made in the old mode
        self.needs_refresh = True

    @property
    def beta0(self) -> float:
        """1/(k_B T_0), mol/kJ."""
        if self.temperature is None:
            raise RuntimeError("SITS: the simulation temperature is unknown; pass "
                               "SITS(temperature=...) or use it through sponge.Simulation")
        return 1.0 / (BOLTZ * self.temperature)

    def bind(self, system, temperature: float | None = None) -> None:
        """Attach to ``system`` (called once by :class:`sponge.Simulation`)."""
        if temperature is not None and self.temperature is None:
            self.temperature = float(temperature)
        if self.temperature is not None:
            check_temperatures(self.temperatures, self.temperature)
        self._system = system
        if self.energy == "selective":
            mask = selection_mask(self.selection, system)
            self._selected = SelectedEnergy(system, mask, self.cross_factor, self.bonds_angles,
                                            self.complete_coulomb)
            self.mask = mask
        else:
            self._selected = None
            self.mask = np.ones(system.n_atoms, dtype=bool)

    # ---------------------------------------------------------------- the bias
    def selected_energy_forces(self, state, energy: float | None = None,
                               forces: np.ndarray | None = None) -> tuple[float, np.ndarray]:
        """``(E_s, F_s)`` at ``state`` (for ``energy="total"``: the given total)."""
        if self._system is None:
            raise RuntimeError("SITS: not bound to a system (pass it to sponge.Simulation)")
        if self._selected is None:
            if energy is None:
                energy, forces = self._system.energy_forces(state)
            return float(energy), forces
        box = state.box if state.box is not None else self._system.box
        return self._selected.energy_forces(state.positions, box)

    def _shift_for(self, e_s: float) -> float:
        if self.energy_shift is None:
            if not math.isfinite(e_s):
                raise ValueError(f"SITS: the energy shift would be set from E_s = {e_s}; "
                                 "give SITS(energy_shift=...) or evaluate a state first")
            self.energy_shift = float(round(e_s, 3))
        return self.energy_shift

    def factors(self, e_s: float) -> tuple[float, float]:
        """``(Delta V kJ/mol, f_b)`` at selected energy ``e_s`` (0 and 1 in observation mode)."""
        if self._mode == "observation":
            return 0.0, 1.0
        dv, fb = its_bias(e_s - self._shift_for(e_s), self.log_nk, self.beta, self.beta0)
        return float(dv), float(fb)

    def effective_energy(self, energy: float, e_s: float) -> float:
        """``U_eff = U + Delta V(E_s)``, kJ/mol."""
        return float(energy) + self.factors(e_s)[0]

    def modify(self, state, energy: float, forces: np.ndarray) -> tuple[float, np.ndarray]:
        """Biased energy ``U + Delta V`` and forces ``F + (f_b - 1) F_s`` (the bias protocol)."""
        e_s, f_s = self.selected_energy_forces(state, energy, forces)
        dv, fb = self.factors(e_s)
        self._last = (e_s, dv, fb, f_s)
        if fb == 1.0:
            return float(energy) + dv, forces
        return float(energy) + dv, forces + (fb - 1.0) * f_s

    def bias(self, state) -> float:
        """``Delta V = U_eff - U`` (kJ/mol) at ``state`` with the current n_k."""
        return self.factors(self.selected_energy_forces(state)[0])[0]

    def report_columns(self) -> dict[str, float]:
        """``{"E_s", "bias", "f_b"}`` at the last step (kJ/mol, kJ/mol, 1)."""
        e_s, dv, fb, _ = self._last
        return {"E_s": e_s, "bias": dv, "f_b": fb}

    # barostat support: a rejected trial must not leave its values behind
    def snapshot(self):
        """Values of the last evaluation (restored by :meth:`restore`)."""
        return self._last

    def restore(self, snap) -> None:
        """Undo the evaluations since :meth:`snapshot` (a rejected Monte Carlo move)."""
        self._last = snap

    def refresh(self, energy: float, forces: np.ndarray) -> tuple[float, np.ndarray] | None:
        """Biased energy and forces of the last evaluation redone with the current n_k.

        Args:
            energy: the unbiased energy of the last :meth:`modify`, kJ/mol.
            forces: the biased forces it returned ``(n_atoms, 3)``.

        Returns:
            ``(energy, forces)``, or None when no :meth:`modify` ran since this object was
            made (a run resumed from a checkpoint): the caller computes them again.
        """
        e_s, _, fb_old, f_s = self._last
        if f_s is None:
            return None
        dv, fb = self.factors(e_s)
        self._last = (e_s, dv, fb, f_s)
        if fb == fb_old:
            return float(energy) + dv, forces
        return float(energy) + dv, forces + (fb - fb_old) * f_s

    def guess_nk(self, e_s_samples) -> np.ndarray:
        """Set ln n_k from E_s sampled at T_0 (observation mode) and return them.

        Uses :func:`sponge.sits.estimator.log_nk_from_heat_capacity`: the mean and
        variance of E_s give its heat capacity, and a heat capacity constant in
        T gives ``n_k Z_k = const`` in closed form (times the ``hot_to_cold``
        tilt). The iteration then starts close to its target populations
        instead of from all n_k equal. The running normalisers are reset.

        Args:
            e_s_samples: ``(n,)`` E_s values (kJ/mol) from an unbiased run at T_0.
        """
        e = np.asarray(e_s_samples, dtype=np.float64).reshape(-1)
        e = e[np.isfinite(e)]
        if e.size < 10:
            raise ValueError(f"SITS.guess_nk: needs at least 10 finite E_s samples; got {e.size}")
        shift = self._shift_for(float(e[0]))
        k = len(self.temperatures)
        self.log_nk = (log_nk_from_heat_capacity(self.beta, self.beta0, float(e.mean()) - shift,
                                                 float(e.var()))
                       + np.arange(k) * (math.log(self.hot_to_cold) / (k - 1)))
        self.norm = np.zeros(len(self.temperatures) - 1)
        self.needs_refresh = True
        return self.log_nk

    # ------------------------------------------------------------- iteration
    def after_step(self, state) -> bool:
        """Record the current step's E_s (called by the integrator after every step).

        Returns:
            True when the n_k changed (the caller then calls :meth:`refresh`).
        """
        e_s = self._last[0]
        if self._mode == "observation" or not math.isfinite(e_s):
            return False
        its_record(e_s - self._shift_for(e_s), self.log_nk, self.beta, self._log_p)
        self._n_records += 1
        if self._mode == "iteration" and self._n_records >= self.update_interval:
            self.update(step=state.step)
            return True
        return False

    @property
    def populations(self) -> np.ndarray:
        """Normalised ``P_k`` of the records since the last update (or mode change)."""
        if self._n_records == 0:
            return np.full(len(self.temperatures), np.nan)
        return np.exp(self._log_p - log_sum_exp(self._log_p))

    def update(self, step: int | None = None) -> None:
        """Gao's n_k update from the current window; writes the restart and trajectory files."""
        if self._n_records == 0:
            return
        k = len(self.temperatures)
        target = None if self.hot_to_cold == 1.0 else np.full(k - 1, math.log(self.hot_to_cold)
                                                              / (k - 1))
        self.log_nk, self.norm = update_log_nk(self.log_nk, self._log_p, self.norm,
                                                 memory=self.memory, log_target=target)
        self._log_p = np.full(len(self.temperatures), -np.inf)
        self._n_records = 0
        self.n_updates += 1
        if self.nk_restart_file is not None:
            self.save_nk(self.nk_restart_file)
        if self.nk_traj_file is not None:
            new = not Path(self.nk_traj_file).exists() or self.n_updates == 1
            with open(self.nk_traj_file, "w" if new else "a") as fh:
                if new:
                    fh.write("# step  ln n_k for T_k = " +
                             " ".join(f"{t:.3f}" for t in self.temperatures) + "\n")
                fh.write(f"{-1 if step is None else step} " +
                         " ".join(f"{v:.10g}" for v in self.log_nk) + "\n")

    # ------------------------------------------------------------ files / state
    def save_nk(self, path: str | Path) -> None:
        """Write the n_k restart file (shift, then ``T_k ln_n_k W_k`` per line)."""
        norm = np.append(self.norm, 0.0)
        with open(path, "w") as fh:
            fh.write(f"# SITS n_k restart: energy_shift_kj_per_mol {self.energy_shift!r} "
                     f"updates {self.n_updates}\n# T_K ln_nk norm\n")
            for t, v, w in zip(self.temperatures, self.log_nk, norm, strict=True):
                fh.write(f"{t:.10g} {v:.17g} {w:.17g}\n")

    def load_nk(self, path: str | Path) -> None:
        """Read a restart file written by :meth:`save_nk` (same ladder required).

        Raises:
            ValueError: the file is malformed or its ladder differs (names the file and line).
        """
        shift, arr = read_nk_file(path)
        if arr.shape != (len(self.temperatures), 3) or not np.allclose(arr[:, 0],
                                                                       self.temperatures):
            raise ValueError(f"{path}: holds {len(arr)} temperatures that do not match this "
                             f"SITS ladder of {len(self.temperatures)} "
                             f"({self.temperatures[0]}-{self.temperatures[-1]} K)")
        self.log_nk = arr[:, 1].copy()
        self.norm = arr[:-1, 2].copy()
        self.energy_shift = shift

    def get_state(self) -> dict:
        """Plain-data state for checkpoints."""
        return {"log_nk": self.log_nk.tolist(), "norm": self.norm.tolist(),
                "log_p": self._log_p.tolist(), "n_records": self._n_records,
                "n_updates": self.n_updates, "mode": self._mode,
                "energy_shift": self.energy_shift}

    def set_state(self, d: dict) -> None:
        """Restore :meth:`get_state`."""
        self._mode = d["mode"]
        self.log_nk = np.asarray(d["log_nk"], dtype=np.float64)
        self.norm = np.asarray(d["norm"], dtype=np.float64)
        self._log_p = np.asarray(d["log_p"], dtype=np.float64)
        self._n_records = int(d["n_records"])
        self.n_updates = int(d["n_updates"])
        self.energy_shift = d["energy_shift"]

    def __repr__(self) -> str:
        return (f"SITS(energy={self.energy!r}, mode={self._mode!r}, K={len(self.temperatures)}, "
                f"T={self.temperatures[0]:.1f}-{self.temperatures[-1]:.1f} K, "
                f"cross_factor={self.cross_factor}, update_interval={self.update_interval})")


def read_nk_file(path: str | Path) -> tuple[float | None, np.ndarray]:
    """Read an n_k restart file (:meth:`SITS.save_nk`).

    Returns:
        ``(energy shift kJ/mol or None, (K, 3) rows of T_k, ln n_k, normaliser)``.

    Raises:
        ValueError: a row that is not three numbers (names the file and line).
    """
    shift = None
    rows = []
    for n, line in enumerate(Path(path).read_text().splitlines(), 1):
        if line.startswith("#"):
            parts = line.split()
            if "energy_shift_kj_per_mol" in parts:
                v = parts[parts.index("energy_shift_kj_per_mol") + 1]
                shift = None if v == "None" else float(v)
            continue
        if not line.strip():
            continue
        try:
            rows.append([float(x) for x in line.split()[:3]])
        except ValueError as exc:
            raise ValueError(f"{path}, line {n}: expected 'T ln_nk norm', got {line!r}") \
                from exc
    return shift, np.asarray(rows)
