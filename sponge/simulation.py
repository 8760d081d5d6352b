"""The simulation loop: an integrator advancing a state, observed by reporters.

:class:`Simulation` ties a :class:`sponge.System`, an integrator (the
``Integrator`` protocol of :mod:`sponge.integrators`: ``bind``, ``step``,
``invalidate``, ``potential_energy``, ``forces``, ``get_state``/``set_state``,
``degrees_of_freedom``, ``timestep`` in ps) and a :class:`sponge.State`.

Loop (OpenMM's): before each chunk every reporter says how many steps remain
until it wants the next report, the stability guard adds its own check
interval, and the integrator advances the smallest of these in one call; no
Python work is done per step beyond the integrator's own. After each chunk the
guard checks that positions, velocities and the potential energy are finite
and that the energy did not jump by more than ``max_energy_jump`` kJ/mol since
the last check; if not, :class:`sponge.SimulationInstabilityError` is raised,
naming the step and the atoms with the largest forces, *before* any reporter
sees the bad state: the last checkpoint on disk is the last good one and all
trajectory frames written so far stay readable.

Example:
    >>> system, state = sponge.load_pdb("villin.pdb")                  # doctest: +SKIP
    >>> sim = sponge.Simulation(system, sponge.LangevinMiddleIntegrator(300.0, 1.0, 0.002),
    ...                         state, reporters=[sponge.StateDataReporter("e.csv", 100)],
    ...                         seed=1)
    >>> sim.minimize(); sim.run(10_000)
    >>> sim.save_checkpoint("run.chk")
    >>> sim2 = sponge.Simulation.from_checkpoint("run.chk", system,
    ...                                          sponge.LangevinMiddleIntegrator(300.0, 1.0, 0.002))
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

from sponge.bias import has_hooks
from sponge.errors import SimulationInstabilityError
from sponge.reporters.base import Reporter
from sponge.reporters.checkpoint import (
    CheckpointError,
    read_checkpoint,
    restore_neighbor_lists,
    write_checkpoint,
)
from sponge.reporters.progress import ProgressReporter
from sponge.state import State

#: Boltzmann constant, kJ/mol/K (OpenMM's value)
BOLTZMANN = 0.00831446261815324

PLATFORMS = ("cpu", "cuda")


def check_platform(platform: str) -> str:
    """Validate ``platform``; "cuda" raises a clear error when it cannot run.

    Raises:
        ValueError: unknown platform name.
        RuntimeError: "cuda" without a usable CUDA device.
    """
    if platform not in PLATFORMS:
        raise ValueError(f"platform must be one of {PLATFORMS}, got {platform!r}")
    if platform == "cuda":
        try:
            from numba import cuda

            ok = cuda.is_available() and not os.environ.get("NUMBA_ENABLE_CUDASIM") == "1"
        except Exception:  # pragma: no cover - numba-cuda missing
            ok = False
        if not ok:
            raise RuntimeError(
                "platform 'cuda' was requested but no CUDA device is available "
                "(numba.cuda.is_available() is False); use platform='cpu'"
            )
        raise RuntimeError(
            "platform 'cuda': a CUDA device is present, but sponge's force terms and "
            "integrators run on the CPU only in this version; use platform='cpu'"
        )
    return platform


class Simulation:
    """Run molecular dynamics of ``system`` from ``state`` with ``integrator``.

    Args:
        system: the :class:`sponge.System`.
        integrator: an integrator following the ``sponge.integrators`` protocol.
        state: the starting :class:`sponge.State` (advanced in place; its box
            defaults to ``system.box``).
        reporters: reporters observing the loop (see :mod:`sponge.reporters`).
        platform: "cpu" (or "cuda", which raises a clear error when unavailable).
        bias: an optional bias (e.g. SITS, metadynamics) or a list of them
            (a :class:`sponge.CombinedBias`); handed to the integrator as
            ``integrator.bias`` before it is bound, after ``bias.bind(system)``
            when it has one (``bind(system, temperature=T)`` when the bias has
            ``temperature = None``: it takes the integrator's). A bias with
            reporter hooks (see :mod:`sponge.bias`) is called on its steps
            before the reporters.
        seed: seed of the integrator's random stream (None: fresh entropy).
        barostat: optional barostat, attached as ``integrator.barostat``.
        guard_interval: steps between stability checks when no reporter asks
            for a report sooner.
        max_energy_jump: largest allowed rise of the potential energy between
            two checks, kJ/mol; default ``1000 + 50 * n_atoms``; ``inf`` disables it.

    Attributes:
        state: the current :class:`sponge.State`.
        reporters: the list of reporters (append to it freely between runs).
    """

    def __init__(
        self,
        system,
        integrator,
        state: State,
        reporters: Sequence[Reporter] | None = None,
        platform: str = "cpu",
        bias=None,
        seed: int | None = None,
        barostat=None,
        guard_interval: int = 100,
        max_energy_jump: float | None = None,
    ) -> None:
        self.platform = check_platform(platform)
        if state.n_atoms != system.n_atoms:
            raise ValueError(f"state has {state.n_atoms} particles; system has "
                             f"{system.n_atoms}")
        if state.box is None and system.box is not None:
            state.box = np.array(system.box, dtype=np.float64)
        self.system = system
        self.integrator = integrator
        self.state = state
        self.reporters: list[Reporter] = list(reporters or [])
        if isinstance(bias, list | tuple):
            from sponge.bias import CombinedBias

            bias = CombinedBias(bias) if len(bias) > 1 else (bias[0] if bias else None)
        self.bias = bias
        self.seed = seed
        if bias is not None:
            integrator.bias = bias
            bind = getattr(bias, "bind", None)
            if callable(bind) and getattr(bias, "temperature", 0.0) is None:
                # the bias takes the thermostat's temperature (SITS: T_0)
                t = getattr(integrator, "temperature", None)
                if t is None:
                    raise ValueError(f"{type(bias).__name__} needs the simulation temperature "
                                     f"and {type(integrator).__name__} has none: pass it to "
                                     "the bias")
                bind(system, temperature=t)
            elif callable(bind):
                bind(system)
        if barostat is not None:
            integrator.barostat = barostat
        self.guard_interval = int(guard_interval)
        if self.guard_interval <= 0:
            raise ValueError(f"guard_interval must be a positive number of steps, "
                             f"got {guard_interval!r}")
        n_real = int(np.count_nonzero(system.masses > 0))
        self.max_energy_jump = (1000.0 + 50.0 * n_real if max_energy_jump is None
                                else float(max_energy_jump))
        integrator.bind(system, seed=seed)
        self._last_energy: float | None = None
        self._last_good: tuple[int, np.ndarray] | None = None

    # ------------------------------------------------------------------ queries
    @property
    def barostat(self):
        """The barostat attached to the integrator, or None."""
        return getattr(self.integrator, "barostat", None)

    @property
    def potential_energy(self) -> float:
        """Potential energy of the current state, kJ/mol (the integrator's cached value)."""
        return float(self.integrator.potential_energy)

    def kinetic_energy(self) -> float:
        """Kinetic energy ``sum m v^2 / 2`` of the current velocities, kJ/mol.

        Uses the integrator's own ``kinetic_energy(state)`` when it defines one
        (e.g. a time-shifted estimate for leapfrog-type schemes).
        """
        own = getattr(self.integrator, "kinetic_energy", None)
        if callable(own):
            return float(own(self.state))
        v = self.state.velocities
        return 0.5 * float(np.einsum("i,ij,ij->", self.system.masses, v, v))

    def temperature(self) -> float:
        """Instantaneous temperature ``2 KE / (dof k_B)``, K."""
        dof = int(self.integrator.degrees_of_freedom)
        return 2.0 * self.kinetic_energy() / (dof * BOLTZMANN) if dof > 0 else 0.0

    def volume(self) -> float:
        """Box volume, nm^3 (NaN for a non-periodic system)."""
        b = self.state.box
        return float("nan") if b is None else float(abs(np.linalg.det(b)))

    # ------------------------------------------------------------------ actions
    def minimize(self, tolerance: float = 10.0, max_iterations: int = 0) -> State:
        """Minimise the potential energy (L-BFGS, constraints honoured).

        Args:
            tolerance: stop when the RMS force is below this, kJ/mol/nm.
            max_iterations: 0 means until converged.

        Returns:
            the new current state (velocities, time and step kept); its
            ``extra["minimize"]`` holds the minimiser's report (energies, RMS force).
        """
        import sponge

        new = sponge.minimize(self.system, self.state, tolerance=tolerance,
                              max_iterations=max_iterations)
        self.state.positions = np.array(new.positions, dtype=np.float64)
        if "minimize" in new.extra:
            self.state.extra["minimize"] = new.extra["minimize"]
        if new.box is not None:
            self.state.box = np.array(new.box, dtype=np.float64)
        self.integrator.invalidate()
        self._last_energy = None
        return self.state

    def set_velocities_to_temperature(self, temperature: float, seed: int | None = None) -> None:
        """Draw Maxwell-Boltzmann velocities at ``temperature`` K (as OpenMM's).

        Virtual sites get zero velocity, the components along constraints are
        removed (RATTLE projection), and centre-of-mass motion is removed when
        ``system.remove_cm_motion``.

        Args:
            temperature: K (>= 0).
            seed: seed of this draw (None: fresh entropy).
        """
        from sponge.quantities import maxwell_boltzmann, remove_com_velocity

        if not temperature >= 0:
            raise ValueError(f"temperature must be >= 0 K, got {temperature!r}")
        v = maxwell_boltzmann(self.system.masses, temperature, np.random.default_rng(seed))
        if self.system.remove_cm_motion:
            remove_com_velocity(self.system.masses, v)
        solver = getattr(self.integrator, "constraints", None)
        if solver is not None and len(solver) > 0:
            solver.apply_velocities(self.state.positions, v)
        self.state.velocities = v
        self.integrator.invalidate()

    def run(self, steps: int, progress: bool | None = None) -> State:
        """Advance ``steps`` integration steps, reporting along the way.

        Args:
            steps: number of steps (>= 0).
            progress: show a tqdm bar with ns/day; None shows it for runs of
                10,000 steps or more when stderr is a terminal.

        Returns:
            the current state.

        Raises:
            SimulationInstabilityError: NaN/inf or an energy jump (see the module docstring).
        """
        if isinstance(steps, bool) or not isinstance(steps, int | np.integer) or steps < 0:
            raise ValueError(f"steps must be a non-negative integer, got {steps!r}")
        steps = int(steps)
        if progress is None:
            import sys

            progress = steps >= 10_000 and sys.stderr.isatty()
        # a bias with reporter hooks (metadynamics' hill deposition) runs before the reporters
        hooks = [self.bias] if self.bias is not None and has_hooks(self.bias) else []
        reporters = hooks + list(self.reporters)
        bar = ProgressReporter(steps) if progress and steps > 0 else None
        if bar is not None:
            reporters.append(bar)
        for r in reporters:
            r.start(self)
        try:
            end = self.state.step + steps
            while self.state.step < end:
                step = self.state.step
                n = min(end - step,
                        self.guard_interval - step % self.guard_interval,
                        *(r.steps_until_next(step) for r in reporters))
                self.integrator.step(self.state, n)
                self._check_stability()
                due = [r for r in reporters if r.wants_report(self.state.step)]
                for r in due:
                    r.report(self, self.state)
        finally:
            if bar is not None:
                bar.close()
        return self.state

    # ------------------------------------------------------------------ guard
    def _largest_force_atoms(self, count: int = 5) -> tuple[list[int], str]:
        """Atoms to blame, largest force first, and where the ranking comes from."""
        try:
            f = np.asarray(self.integrator.forces, dtype=np.float64)
            mag = np.linalg.norm(f, axis=1)
        except Exception:
            mag = np.full(self.system.n_atoms, np.nan)
        bad_x = ~np.isfinite(self.state.positions).all(axis=1)
        bad_f = ~np.isfinite(mag)
        if (bad_x.all() or bad_f.all()) and self._last_good is not None:
            step, f_good = self._last_good
            mag = np.linalg.norm(f_good, axis=1)
            order = np.argsort(-mag, kind="stable")
            return [int(i) for i in order[:count]], f" (forces of the last good step {step})"
        key = np.where(bad_x, np.inf, np.where(bad_f, np.finfo(float).max, mag))
        order = np.argsort(-key, kind="stable")
        return [int(i) for i in order[:count]], ""

    def _check_stability(self) -> None:
        st = self.state
        what = None
        if not np.isfinite(st.positions).all():
            what = "non-finite positions"
        elif not np.isfinite(st.velocities).all():
            what = "non-finite velocities"
        else:
            e = self.potential_energy
            if not np.isfinite(e):
                what = f"non-finite potential energy ({e})"
            elif self._last_energy is not None and e - self._last_energy > self.max_energy_jump:
                what = (f"potential energy jumped from {self._last_energy:.6g} to {e:.6g} kJ/mol "
                        f"(more than max_energy_jump = {self.max_energy_jump:.6g} kJ/mol)")
            else:
                self._last_energy = e
                f = getattr(self.integrator, "forces", None)
                if f is not None:
                    self._last_good = (st.step, np.array(f, dtype=np.float64))
        if what is not None:
            atoms, where = self._largest_force_atoms()
            raise SimulationInstabilityError(st.step, atoms, what + where)

    # ------------------------------------------------------------- checkpoints
    def save_checkpoint(self, path: str | os.PathLike) -> None:
        """Write a checkpoint (state, integrator + RNG state, neighbour lists) atomically."""
        write_checkpoint(path, self)

    def load_checkpoint(self, path: str | os.PathLike) -> None:
        """Replace the current state by the one stored in ``path`` (same system).

        Raises:
            CheckpointError: unreadable file or a different number of particles.
        """
        d = read_checkpoint(path)
        if d["n_atoms"] != self.system.n_atoms:
            raise CheckpointError(f"{path}: checkpoint has {d['n_atoms']} particles; the "
                                  f"system has {self.system.n_atoms}")
        name = type(self.integrator).__name__
        if d["integrator"] != name:
            raise CheckpointError(f"{path}: checkpoint was written by a {d['integrator']}; "
                                  f"this simulation uses a {name}")
        self.state = State(positions=d["positions"], velocities=d["velocities"], box=d["box"],
                           time=float(d["time"]), step=int(d["step"]))
        restore_neighbor_lists(self.system, d["neighbor_lists"])
        self.integrator.set_state(d["integrator_state"])
        if d.get("bias_state") is not None and hasattr(self.bias, "set_state"):
            self.bias.set_state(d["bias_state"])
        self.integrator.invalidate()
        self._restore_force_cache(d)
        self._last_energy = None

    def _restore_force_cache(self, d: dict) -> None:
        """Put the checkpoint's forces/energy into the integrator's cache (bit-for-bit restart).

        Relies on the force cache of :class:`sponge.integrators.Integrator`
        (``_energy``, ``_forces``, ``_pos_ref``, ``_cache_step``); other
        integrators simply recompute the forces.
        """
        integ = self.integrator
        if d.get("forces") is None or d.get("potential_energy") is None:
            return
        if not all(hasattr(integ, a) for a in ("_energy", "_forces", "_pos_ref", "_cache_step")):
            return
        integ._energy = float(d["potential_energy"])
        if hasattr(integ, "_biased_energy"):
            integ._biased_energy = float(d.get("biased_energy", d["potential_energy"]))
        integ._forces = np.array(d["forces"], dtype=np.float64)
        integ._pos_ref = self.state.positions
        integ._cache_step = self.state.step

    @classmethod
    def from_checkpoint(
        cls,
        path: str | os.PathLike,
        system,
        integrator,
        reporters: Sequence[Reporter] | None = None,
        platform: str = "cpu",
        bias=None,
        barostat=None,
        **kwargs,
    ) -> Simulation:
        """A simulation that continues, bit for bit, the run that wrote ``path``.

        Args:
            path: checkpoint file written by :meth:`save_checkpoint` or a
                :class:`sponge.CheckpointReporter`.
            system: the same system the run used.
            integrator: a fresh integrator of the same class and settings.
            reporters, platform, bias, barostat, kwargs: as for :class:`Simulation`.
        """
        d = read_checkpoint(path)
        state = State(positions=d["positions"], velocities=d["velocities"], box=d["box"],
                      time=float(d["time"]), step=int(d["step"]))
        sim = cls(system, integrator, state, reporters=reporters, platform=platform, bias=bias,
                  barostat=barostat, **kwargs)
        sim.load_checkpoint(path)
        return sim
