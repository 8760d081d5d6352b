"""Training data from MD: sample configurations and label them with a reference potential.

:func:`sample_configurations`: each temperature runs its own Langevin (middle
scheme) trajectory from the given state, equilibrates, then keeps a frame
every ``interval`` steps. :func:`sample_metadynamics`: well-tempered
metadynamics on one or two collective variables (e.g. the backbone dihedrals
phi, psi), which pushes the trajectory over barriers into every basin, so the
data covers the CV space and the transition regions, not only the basin the
run started in. :func:`sample_trajectory` is the common loop (any system, e.g.
a learned potential in active learning); it stops cleanly at an instability
and returns the frames so far. Labels are the *unbiased* energies and forces
of the reference system (:func:`sponge.ml.label_configurations`); PySCF
labels are available through :func:`sponge.ml.label_with_pyscf` when the
optional package is installed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .data import Dataset, label_configurations


def sample_configurations(system: Any, state: Any, temperatures: Sequence[float],
                          frames_per_temperature: int, interval: int = 50,
                          timestep: float = 0.001, friction: float = 1.0,
                          equilibration: int = 2000, seed: int = 0,
                          progress: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Positions ``(n_frames, n_atoms, 3)`` nm and the temperature (K) each was sampled at.

    One :func:`sample_trajectory` per temperature (seed ``seed + k`` for the k-th);
    ``progress`` is accepted for compatibility and ignored.
    """
    if frames_per_temperature < 1 or interval < 1:
        raise ValueError("frames_per_temperature and interval must be >= 1")
    frames, temps = [], []
    for k, t in enumerate(temperatures):
        pos, _ = sample_trajectory(system, state, t, frames_per_temperature, interval, timestep,
                                   friction, equilibration, seed=seed + k,
                                   stop_on_instability=False)
        frames.append(pos)
        temps.append(np.full(len(pos), float(t)))
    return np.concatenate(frames), np.concatenate(temps)


def sample_trajectory(system: Any, state: Any, temperature: float, n_frames: int,
                      interval: int = 50, timestep: float = 0.001, friction: float = 1.0,
                      equilibration: int = 0, seed: int = 0, bias: Any = None,
                      stop_on_instability: bool = True) -> tuple[np.ndarray, bool]:
    """One Langevin trajectory from ``state`` with fresh Maxwell-Boltzmann velocities.

    Args:
        system: a ``sponge.System`` (classical, neural or mixed).
        state: start (its positions are used; velocities are redrawn at ``temperature`` K).
        n_frames: frames kept, one every ``interval`` steps after ``equilibration`` steps.
        timestep: ps. friction: 1/ps.
        bias: an optional bias of :class:`sponge.Simulation` (e.g. metadynamics).
        stop_on_instability: return the frames so far (and ``False``) when the run
            raises :class:`sponge.SimulationInstabilityError`, instead of raising.

    Returns:
        positions ``(n_kept, n_atoms, 3)`` nm and whether the run completed.
    """
    from sponge.errors import SimulationInstabilityError
    from sponge.integrators import LangevinMiddleIntegrator
    from sponge.quantities import maxwell_boltzmann
    from sponge.simulation import Simulation

    if n_frames < 1 or interval < 1:
        raise ValueError(f"n_frames and interval must be >= 1; got {n_frames}, {interval}")
    if not temperature > 0:
        raise ValueError(f"temperature must be positive, got {temperature} K")
    st = state.copy()
    st.velocities = maxwell_boltzmann(system.masses, temperature, np.random.default_rng(seed))
    sim = Simulation(system, LangevinMiddleIntegrator(temperature, friction, timestep), st,
                     seed=seed + 1000, bias=bias)
    frames = []
    try:
        if equilibration > 0:
            sim.run(equilibration, progress=False)
        for _ in range(n_frames):
            sim.run(interval, progress=False)
            frames.append(sim.state.positions.copy())
    except SimulationInstabilityError:
        if not stop_on_instability:
            raise
        return np.array(frames).reshape(-1, system.n_atoms, 3), False
    return np.array(frames), True


def sample_metadynamics(system: Any, state: Any, cvs: Sequence[Any], temperature: float,
                        n_frames: int, interval: int = 500, height: float = 2.0,
                        sigma: float | Sequence[float] = 0.35, bias_factor: float = 10.0,
                        pace: int = 100, timestep: float = 0.001, friction: float = 1.0,
                        seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Frames of a well-tempered metadynamics run on ``cvs`` (1 or 2 :mod:`sponge.cv` CVs).

    Hills of ``height`` kJ/mol and width ``sigma`` (CV units, rad for dihedrals)
    every ``pace`` steps, bias factor ``bias_factor`` (the CVs explore as if at
    ``bias_factor * temperature``). The frames are for labelling with the
    unbiased reference potential; their Boltzmann weights are not kept (the
    point is coverage of CV space, basins and barriers, not a canonical sample).

    Returns:
        positions ``(n_frames, n_atoms, 3)`` nm and CV values ``(n_frames, n_cvs)``.
    """
    from sponge.metadynamics import Metadynamics

    cvs = list(cvs)
    metad = Metadynamics(cvs, temperature=temperature, height=height,
                         sigma=np.broadcast_to(sigma, (len(cvs),)).tolist(),
                         bias_factor=bias_factor, pace=pace)
    pos, _ = sample_trajectory(system, state, temperature, n_frames, interval, timestep,
                               friction, seed=seed, bias=metad, stop_on_instability=False)
    s = np.array([[cv.value(p) for cv in cvs] for p in pos])
    return pos, s


def generate_dataset(system: Any, state: Any, species: Sequence[int],
                     temperatures: Sequence[float], frames_per_temperature: int,
                     **kwargs: Any) -> Dataset:
    """Sample with :func:`sample_configurations` and label with the classical system."""
    pos, _ = sample_configurations(system, state, temperatures, frames_per_temperature, **kwargs)
    box = None if state.box is None else np.broadcast_to(state.box, (len(pos), 3, 3)).copy()
    return label_configurations(system, np.asarray(species), pos, box)
