"""Training data from classical MD: sample configurations at several temperatures and label them.

Each temperature runs its own Langevin (middle scheme) trajectory from the
given state, equilibrates, then keeps a frame every ``interval`` steps; the
frames are labelled with the classical system's energies and forces
(:func:`sponge.ml.label_configurations`). PySCF labels are available through
:func:`sponge.ml.label_with_pyscf` when the optional package is installed.
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
    """Positions ``(n_frames, n_atoms, 3)`` nm and the temperature (K) each was sampled at."""
    from sponge.integrators import LangevinMiddleIntegrator
    from sponge.quantities import maxwell_boltzmann
    from sponge.simulation import Simulation

    if frames_per_temperature < 1 or interval < 1:
        raise ValueError("frames_per_temperature and interval must be >= 1")
    frames, temps = [], []
    for k, t in enumerate(temperatures):
        if t <= 0:
            raise ValueError(f"temperature must be positive, got {t} K")
        st = state.copy()
        st.velocities = maxwell_boltzmann(system.masses, t, np.random.default_rng(seed + k))
        sim = Simulation(system, LangevinMiddleIntegrator(t, friction, timestep), st,
                         seed=seed + 1000 + k)
        sim.run(equilibration, progress=progress)
        for _ in range(frames_per_temperature):
            sim.run(interval, progress=False)
            frames.append(sim.state.positions.copy())
            temps.append(t)
    return np.array(frames), np.array(temps)


def generate_dataset(system: Any, state: Any, species: Sequence[int],
                     temperatures: Sequence[float], frames_per_temperature: int,
                     **kwargs: Any) -> Dataset:
    """Sample with :func:`sample_configurations` and label with the classical system."""
    pos, _ = sample_configurations(system, state, temperatures, frames_per_temperature, **kwargs)
    box = None if state.box is None else np.broadcast_to(state.box, (len(pos), 3, 3)).copy()
    return label_configurations(system, np.asarray(species), pos, box)
