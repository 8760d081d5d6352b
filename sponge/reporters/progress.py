"""A tqdm progress bar showing the speed in ns/day."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from sponge.reporters.base import Reporter

if TYPE_CHECKING:  # pragma: no cover
    from sponge.simulation import Simulation
    from sponge.state import State


class ProgressReporter(Reporter):
    """Progress bar over ``total_steps`` steps, updated every ``interval`` steps.

    Args:
        total_steps: length of the run in steps.
        interval: steps between updates (default: 1/200 of the run).
        file: stream for the bar (tqdm's default, stderr, when None).
    """

    def __init__(self, total_steps: int, interval: int | None = None, file=None) -> None:
        total_steps = int(total_steps)
        super().__init__(interval or max(1, total_steps // 200))
        self.total_steps = total_steps
        self._file = file
        self._bar = None

    def start(self, simulation: Simulation) -> None:
        from tqdm.auto import tqdm

        if self._bar is None:
            self._bar = tqdm(total=self.total_steps, unit="step", file=self._file,
                             dynamic_ncols=True, smoothing=0.1)
            self._t0 = time.perf_counter()
            self._time0 = simulation.state.time
            self._step0 = simulation.state.step

    def report(self, simulation: Simulation, state: State) -> None:
        done = min(state.step - self._step0, self.total_steps)
        self._bar.update(done - self._bar.n)
        elapsed = time.perf_counter() - self._t0
        if elapsed > 0:
            ns_day = (state.time - self._time0) * 1e-3 / elapsed * 86400.0
            self._bar.set_postfix_str(f"{ns_day:.3g} ns/day", refresh=False)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
