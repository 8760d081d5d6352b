"""The integrator protocol and the plumbing shared by all integrators.

An integrator is bound to one :class:`sponge.System` (``bind``) and advances a
:class:`sponge.State` in place (``step``): positions (nm), velocities
(nm/ps), box (nm), time (ps) and step. It keeps the energy (kJ/mol) and forces
``(n_atoms, 3)`` (kJ/mol/nm) of the current state cached, so a step costs one
force evaluation; ``invalidate()`` drops the cache when the state was changed
outside. Randomness comes from one numpy ``PCG64`` generator created from the
seed in ``bind``; ``get_state``/``set_state`` capture it (and anything else a
bit-for-bit restart needs).

A bias (``integrator.bias``, e.g. SITS or a restraint) is any object with
``modify(state, energy, forces) -> (biased_energy, biased_forces)``; the
dynamics then follows the biased forces while :attr:`Integrator.potential_energy`
stays the unbiased energy and :attr:`Integrator.biased_energy` is the biased one.
A bias may also define ``after_step(state) -> bool``, called once after every
completed step (and barostat move), e.g. for SITS to record its n_k statistics;
when it returns True the bias changed, and the cached biased energy and forces
are redone by ``bias.refresh(energy, biased_forces)`` (or recomputed if it has none);
a bias that sets ``needs_refresh = True`` between runs gets the same at the next step.

Every step checks that the energy is finite and did not jump by more than
``energy_jump`` kJ/mol, and raises :class:`sponge.SimulationInstabilityError`
naming the step and the atoms with the largest forces otherwise.
"""

from __future__ import annotations

import copy
import math

import numpy as np

from sponge.constraints.solver import ConstraintSolver
from sponge.errors import ConstraintError, SimulationInstabilityError
from sponge.integrators.kernels import (
    all_finite,
    kinetic_energy_kernel,
    remove_com_velocity_kernel,
)
from sponge.quantities import degrees_of_freedom as _dof
from sponge.state import State


class Integrator:
    """Base class: binding, force cache, stability checks, RNG and CM-motion removal.

    Args:
        timestep: ps.
        constraint_tolerance: relative tolerance of SHAKE/RATTLE (SETTLE is exact).
        energy_jump: largest allowed increase of the potential energy in one
            step, kJ/mol; default ``max(1e4, 5 * dof)``.

    Subclasses implement :meth:`_advance` (one step from cached forces, which
    must leave ``self._energy``/``self._forces`` those of the new positions).
    """

    def __init__(self, timestep: float, constraint_tolerance: float = 1e-10,
                 energy_jump: float | None = None) -> None:
        if not timestep > 0:
            raise ValueError(f"{type(self).__name__}: timestep must be > 0 ps; got {timestep}")
        self.timestep = float(timestep)
        self.constraint_tolerance = float(constraint_tolerance)
        self.energy_jump = energy_jump
        self.system = None
        self._barostat = None
        self.bias = None
        self._rng: np.random.Generator | None = None
        self._seed_seq: np.random.SeedSequence | None = None
        self.invalidate()

    # ------------------------------------------------------------------ binding
    def bind(self, system, seed: int | None = None) -> None:
        """Attach to ``system``: inverse masses, constraint solver, dof, RNG from ``seed``."""
        self.system = system
        masses = np.asarray(system.masses, dtype=np.float64)
        self.masses = masses
        self.inv_mass = np.where(masses > 0, 1.0 / np.where(masses > 0, masses, 1.0), 0.0)
        self.constraints = ConstraintSolver.from_system(
            system, tolerance=self.constraint_tolerance)
        self.degrees_of_freedom = _dof(system)
        if self.degrees_of_freedom <= 0:
            raise ValueError(f"{type(self).__name__}: the system has {self.degrees_of_freedom} "
                             "degrees of freedom")
        self._jump = (float(self.energy_jump) if self.energy_jump is not None
                      else max(1.0e4, 5.0 * self.degrees_of_freedom))
        self._seed_seq = np.random.SeedSequence(seed)
        child_int, child_baro = self._seed_seq.spawn(2)
        self._rng = np.random.Generator(np.random.PCG64(child_int))
        self._baro_seed = child_baro
        n = len(masses)
        self._xp = np.zeros((n, 3))
        self._xu = np.zeros((n, 3))
        self._has_constraints = len(self.constraints) > 0
        self._cargs_p = self.constraints.args_positions()
        self._cargs_v = self.constraints.args_velocities()
        self._bind_extra()
        if self._barostat is not None:
            self._barostat.bind(system, self._baro_seed)
        self.invalidate()

    def _bind_extra(self) -> None:
        """Hook for subclasses (precompute per-atom factors)."""

    @property
    def barostat(self):
        """The attached Monte Carlo barostat (or None)."""
        return self._barostat

    @barostat.setter
    def barostat(self, value) -> None:
        self._barostat = value
        if value is not None and self.system is not None:
            value.bind(self.system, self._baro_seed)

    # -------------------------------------------------------------- force cache
    def invalidate(self) -> None:
        """Forget the cached forces (call after changing the state outside ``step``)."""
        self._energy: float | None = None
        self._biased_energy: float | None = None
        self._forces: np.ndarray | None = None
        self._pos_ref = None
        self._cache_step = None

    def _require_bound(self) -> None:
        if self.system is None:
            raise RuntimeError(f"{type(self).__name__}: call bind(system, seed) before step()")

    def _compute(self, state: State, step: int | None = None) -> None:
        step = state.step if step is None else step
        e, f = self.system.energy_forces(state)
        if not math.isfinite(e) or not all_finite(f):
            raise SimulationInstabilityError.from_forces(
                step, f, f"the potential energy or forces are not finite (E = {e})")
        self._energy = float(e)
        self._biased_energy = self._energy
        if self.bias is not None:
            eb, f = self.bias.modify(state, self._energy, f)
            self._biased_energy = float(eb)
            if not math.isfinite(self._biased_energy) or not all_finite(f):
                raise SimulationInstabilityError.from_forces(
                    step, f, f"the biased energy or forces are not finite (E = {eb})")
        self._forces = f
        self._pos_ref = state.positions
        self._cache_step = state.step

    def _ensure_forces(self, state: State) -> None:
        if (self._forces is None or self._pos_ref is not state.positions
                or self._cache_step != state.step):
            self._compute(state)

    def _new_forces(self, state: State) -> None:
        """Forces after a move (of step ``state.step + 1``); checks NaN and energy jumps."""
        old = self._biased_energy
        self._compute(state, state.step + 1)
        if old is not None and self._biased_energy - old > self._jump:
            raise SimulationInstabilityError.from_forces(
                state.step + 1, self._forces,
                f"the potential energy jumped from {old:.6g} to {self._biased_energy:.6g} kJ/mol "
                f"in one step (threshold {self._jump:.3g} kJ/mol)")

    @property
    def potential_energy(self) -> float:
        """Potential energy of the current state, kJ/mol (from the last force call)."""
        if self._energy is None:
            raise RuntimeError("no energy cached yet: call step() or compute_forces(state)")
        return self._energy

    @property
    def biased_energy(self) -> float:
        """Potential energy plus bias of the current state, kJ/mol (= potential without bias)."""
        if self._biased_energy is None:
            raise RuntimeError("no energy cached yet: call step() or compute_forces(state)")
        return self._biased_energy

    @property
    def forces(self) -> np.ndarray:
        """Forces ``(n_atoms, 3)`` kJ/mol/nm of the current state (biased when a bias is set)."""
        if self._forces is None:
            raise RuntimeError("no forces cached yet: call step() or compute_forces(state)")
        return self._forces

    def compute_forces(self, state: State) -> tuple[float, np.ndarray]:
        """Make sure the cache holds ``state``'s energy and forces; returns them."""
        self._require_bound()
        self._ensure_forces(state)
        return self._energy, self._forces

    def kinetic_energy(self, state: State) -> float:
        """Kinetic energy of ``state``, kJ/mol."""
        return float(kinetic_energy_kernel(state.velocities, self.masses))

    # --------------------------------------------------------------- stepping
    def step(self, state: State, n_steps: int = 1) -> None:
        """Advance ``state`` in place by ``n_steps`` steps.

        Raises:
            SimulationInstabilityError: NaN/inf energy or forces, an energy jump
                beyond ``energy_jump``, or a constraint failure.
        """
        self._require_bound()
        if state.velocities is None:
            state.velocities = np.zeros_like(state.positions)
        if state.box is None and self.system.box is not None:
            state.box = self.system.box.copy()
        self._ensure_forces(state)
        if getattr(self.bias, "needs_refresh", False):  # e.g. SITS switched mode between runs
            self.bias.needs_refresh = False
            self._bias_changed(state)
        system = self.system
        remove_cm = system.remove_cm_motion
        cm_every = max(1, system.cm_motion_interval)
        has_sites = len(system.virtual_sites) > 0
        baro = self._barostat
        after = getattr(self.bias, "after_step", None)
        for _ in range(int(n_steps)):
            if remove_cm and state.step % cm_every == 0:
                remove_com_velocity_kernel(state.velocities, self.masses)
            self._advance(state, has_sites)
            state.step += 1
            state.time += self.timestep
            self._cache_step = state.step
            if baro is not None and state.step % baro.frequency == 0:
                baro.apply(self, state)
            if after is not None and after(state):
                self._bias_changed(state)

    def _advance(self, state: State, has_sites: bool) -> None:
        raise NotImplementedError

    def _bias_changed(self, state: State) -> None:
        """The bias changed its parameters: redo the cached biased energy and forces.

        ``bias.refresh`` redoes them from its last evaluation; where it has none (no
        ``refresh``, or none since a checkpoint was loaded: it returns None) they are
        computed again at ``state``.
        """
        refresh = getattr(self.bias, "refresh", None)
        redone = None if refresh is None or self._forces is None \
            else refresh(self._energy, self._forces)
        if redone is None:
            self._compute(state)
            return
        self._biased_energy = float(redone[0])
        self._forces = redone[1]

    def _check(self, status: tuple[int, int], state: State) -> None:
        kind, index = status
        if kind != 0:
            msg = self.constraints.describe_failure(kind, index)
            err = SimulationInstabilityError.from_forces(state.step + 1, self._forces, msg)
            atoms = self.constraints.failure_atoms(kind, index)
            raise SimulationInstabilityError(
                err.step, atoms + [a for a in err.atoms if a not in atoms], msg)

    def _moved(self, state: State, has_sites: bool) -> None:
        """Positions changed in place: place virtual sites, then new forces."""
        if has_sites:
            self.system.virtual_sites.compute_positions(state.positions)
        self._new_forces(state)

    # ----------------------------------------------------------- checkpointing
    def get_state(self) -> dict:
        """RNG and barostat state (plain Python data) for a bit-for-bit restart."""
        if self._rng is None:
            raise RuntimeError(f"{type(self).__name__}: get_state() before bind()")
        d = {"integrator": type(self).__name__,
             "rng": copy.deepcopy(self._rng.bit_generator.state)}
        if self._barostat is not None:
            d["barostat"] = self._barostat.get_state()
        d.update(self._extra_state())
        return d

    def set_state(self, d: dict) -> None:
        """Restore what :meth:`get_state` returned (after ``bind``)."""
        if self._rng is None:
            raise RuntimeError(f"{type(self).__name__}: set_state() before bind()")
        if d.get("integrator") != type(self).__name__:
            raise ValueError(f"set_state: the state is of a {d.get('integrator')}, "
                             f"this is a {type(self).__name__}")
        self._rng.bit_generator.state = copy.deepcopy(d["rng"])
        if "barostat" in d:
            if self._barostat is None:
                raise ValueError("set_state: the saved state has a barostat; none is attached")
            self._barostat.set_state(d["barostat"])
        self._set_extra_state(d)
        self.invalidate()

    def _extra_state(self) -> dict:
        return {}

    def _set_extra_state(self, d: dict) -> None:
        pass

    def __repr__(self) -> str:
        return f"{type(self).__name__}(timestep={self.timestep})"


def check_constraint_status(integrator: Integrator, status, state: State) -> None:
    """Raise :class:`SimulationInstabilityError` for a failed constraint kernel."""
    integrator._check(status, state)


__all__ = ["ConstraintError", "Integrator", "check_constraint_status"]
