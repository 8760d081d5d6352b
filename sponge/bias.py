"""Biases of the simulation loop: the protocol, and :class:`CombinedBias`.

A bias changes the energy and forces the integrator follows::

    bias.modify(state, energy, forces) -> (biased_energy, biased_forces)

(kJ/mol, ``(n_atoms, 3)`` kJ/mol/nm; ``forces`` may be updated in place).
``modify`` must have no side effect that a rejected barostat trial would
leave behind. Optional members, used when present:

* ``bind(system)``: called once by :class:`sponge.Simulation`;
* ``report_columns(state=None) -> dict[str, float]``: values for reporters;
* ``get_state()`` / ``set_state(d)``: checkpointed with the run;
* ``after_step(state) -> bool``: called after every step; True means the bias
  changed its parameters (as does setting ``needs_refresh = True`` between
  runs), and the integrator then calls ``refresh(energy, forces)``, which
  returns the biased energy and forces of the last evaluation redone, or None
  when it holds none (after a checkpoint was loaded): the integrator then
  computes them again;
* the reporter hooks ``steps_until_next(step)``, ``wants_report(step)``,
  ``start(simulation)``, ``report(simulation, state)``: the simulation loop
  stops on those steps and calls ``report`` *before* the reporters (how
  metadynamics deposits its hills).

:class:`CombinedBias` applies several biases in order: each one sees the
energy and forces left by the previous one (so ``CombinedBias([its, metad])``
tempers the physical energy and adds the metadynamics bias on top).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def has_hooks(bias) -> bool:
    """True when ``bias`` wants to be called by the loop (reporter hooks)."""
    return all(hasattr(bias, m) for m in ("steps_until_next", "wants_report", "report"))


class CombinedBias:
    """Several biases applied one after the other.

    Args:
        biases: the biases, applied in this order.

    ``report_columns`` merges the components' columns; a name used by more
    than one component is prefixed with that component's ``name`` (or its
    index), and ``bias`` is always the sum of the components' ``bias``.
    """

    name = "combined"

    def __init__(self, biases: Sequence) -> None:
        self.biases = list(biases)
        if not self.biases:
            raise ValueError("CombinedBias: no biases given")
        for b in self.biases:
            if not hasattr(b, "modify"):
                raise ValueError(f"CombinedBias: {b!r} has no modify(state, energy, forces)")
        self._last_input: tuple | None = None

    @property
    def temperature(self) -> float | None:
        """None while a component still needs the simulation temperature, else T_0 (K)."""
        temps = [getattr(b, "temperature", 0.0) for b in self.biases]
        if any(t is None for t in temps):
            return None
        return next((float(t) for t in temps if t), 0.0)

    def bind(self, system, temperature: float | None = None) -> None:
        """Bind every component that wants it (passing ``temperature`` on when given)."""
        for b in self.biases:
            bind = getattr(b, "bind", None)
            if not callable(bind):
                continue
            if temperature is not None and getattr(b, "temperature", 0.0) is None:
                bind(system, temperature=temperature)
            else:
                bind(system)

    def after_step(self, state) -> bool:
        """Forward the integrator's per-step call; True when any component changed its bias
        (the integrator then recomputes its cached forces)."""
        changed = False
        for b in self._after:
            changed = bool(b(state)) or changed
        return changed

    @property
    def needs_refresh(self) -> bool:
        """True when a component changed its bias between runs (e.g. a SITS mode switch)."""
        return any(getattr(b, "needs_refresh", False) for b in self.biases)

    @needs_refresh.setter
    def needs_refresh(self, value: bool) -> None:
        for b in self.biases:
            if hasattr(b, "needs_refresh"):
                b.needs_refresh = bool(value)

    @property
    def _after(self) -> list:
        return [b.after_step for b in self.biases if hasattr(b, "after_step")]

    def snapshot(self):
        """Components' snapshots (undone by :meth:`restore` after a rejected MC move)."""
        return ([b.snapshot() if hasattr(b, "snapshot") else None for b in self.biases],
                self._last_input)

    def restore(self, snap) -> None:
        """Restore :meth:`snapshot`'s output."""
        parts, self._last_input = snap
        for b, s in zip(self.biases, parts, strict=True):
            if s is not None and hasattr(b, "restore"):
                b.restore(s)

    def modify(self, state, energy, forces):
        """Apply every component in order."""
        if self._after:   # a component may change its bias after a step: keep the inputs
            self._last_input = (state, float(energy), np.array(forces, copy=True))
        for b in self.biases:
            energy, forces = b.modify(state, energy, forces)
        return energy, forces

    def refresh(self, energy: float, forces: np.ndarray) -> tuple[float, np.ndarray] | None:
        """Biased energy and forces of the last evaluation redone with the components'
        current parameters (called by the integrator when :meth:`after_step` says so);
        None when there was no evaluation to redo (the integrator computes them again)."""
        if self._last_input is None:
            return None
        state, e0, f0 = self._last_input
        out_e, out_f = e0, f0.copy()
        for b in self.biases:
            out_e, out_f = b.modify(state, out_e, out_f)
        return out_e, out_f

    def report_columns(self, state=None) -> dict[str, float]:
        """Merged columns of the components (see the class docstring)."""
        parts = []
        for k, b in enumerate(self.biases):
            if hasattr(b, "report_columns"):
                try:
                    cols = b.report_columns(state)
                except TypeError:
                    cols = b.report_columns()
                parts.append((getattr(b, "name", str(k)), dict(cols)))
        counts: dict[str, int] = {}
        for _, cols in parts:
            for key in cols:
                counts[key] = counts.get(key, 0) + 1
        out: dict[str, float] = {}
        total = 0.0
        for label, cols in parts:
            total += float(cols.get("bias", 0.0))
            for key, v in cols.items():
                out[f"{label}_{key}" if counts[key] > 1 else key] = v
        out["bias"] = total
        return out

    # reporter hooks: the loop stops when any component wants it
    def _hooked(self) -> list:
        return [b for b in self.biases if has_hooks(b)]

    def start(self, simulation) -> None:
        for b in self._hooked():
            if hasattr(b, "start"):
                b.start(simulation)

    def steps_until_next(self, step: int) -> int:
        hooked = self._hooked()
        return min((b.steps_until_next(step) for b in hooked), default=1 << 62)

    def wants_report(self, step: int) -> bool:
        return any(b.wants_report(step) for b in self._hooked())

    def report(self, simulation, state) -> None:
        for b in self._hooked():
            if b.wants_report(state.step):
                b.report(simulation, state)

    def close(self) -> None:
        for b in self.biases:
            if hasattr(b, "close"):
                b.close()

    def get_state(self) -> dict:
        """The components' states (None for those without one)."""
        return {"kind": "CombinedBias",
                "states": [b.get_state() if hasattr(b, "get_state") else None
                           for b in self.biases]}

    def set_state(self, d: dict) -> None:
        """Restore :meth:`get_state`'s output."""
        states = d.get("states", [])
        if len(states) != len(self.biases):
            raise ValueError(f"CombinedBias.set_state: {len(states)} saved states for "
                             f"{len(self.biases)} biases")
        for b, s in zip(self.biases, states, strict=True):
            if s is not None and hasattr(b, "set_state"):
                b.set_state(s)

    def __repr__(self) -> str:
        return f"CombinedBias({self.biases!r})"
