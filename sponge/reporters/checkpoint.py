"""Checkpoints: everything needed to continue a run bit for bit.

A checkpoint is an ``.npz`` archive holding

* ``positions`` (n, 3) nm, ``velocities`` (n, 3) nm/ps, ``box`` (3, 3) nm
  (absent for non-periodic systems), ``time`` ps, ``step``;
* ``meta``: a JSON document with the format version, the number of particles,
  the integrator's class name and its :meth:`get_state` (RNG state and
  anything else it keeps between steps, the barostat's included; numpy arrays
  are stored exactly, as base64 of their bytes), and the reference positions
  of every neighbour list, so that the restarted run rebuilds the very same
  pair lists and sums forces in the same order as the uninterrupted one;
* ``meta.bias_state``: the bias's ``get_state()`` (e.g. SITS's ln n_k), if it has one;
* ``forces`` (n, 3) kJ/mol/nm and ``meta.potential_energy``: the integrator's
  cached forces, put back into its cache on restart (they were computed with
  the pair list of an earlier build, which a recomputation would not
  reproduce to the last bit).

The file is written atomically (temporary file + :func:`os.replace`), so a
crash during a write leaves the previous checkpoint intact.
"""

from __future__ import annotations

import base64
import io
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from sponge.reporters.base import Reporter, atomic_write_bytes

if TYPE_CHECKING:  # pragma: no cover
    from sponge.simulation import Simulation
    from sponge.state import State

FORMAT_VERSION = 1


class CheckpointError(ValueError):
    """A checkpoint file is unreadable or belongs to another system."""


def _encode(obj: Any) -> Any:
    """JSON-ready copy of ``obj``; arrays and numpy scalars round-trip exactly."""
    if isinstance(obj, np.ndarray):
        a = np.ascontiguousarray(obj)
        return {"__ndarray__": base64.b64encode(a.tobytes()).decode("ascii"),
                "dtype": a.dtype.str, "shape": list(a.shape)}
    if isinstance(obj, np.generic):
        return _encode(np.asarray(obj))
    if isinstance(obj, dict):
        if not all(isinstance(k, str) for k in obj):
            return {"__dict_items__": [[_encode(k), _encode(v)] for k, v in obj.items()]}
        return {k: _encode(v) for k, v in obj.items()}
    if isinstance(obj, tuple):
        return {"__tuple__": [_encode(v) for v in obj]}
    if isinstance(obj, list):
        return [_encode(v) for v in obj]
    if obj is None or isinstance(obj, bool | int | float | str):
        return obj
    raise TypeError(f"cannot store a {type(obj).__name__} in a checkpoint: {obj!r}")


def _decode(obj: Any) -> Any:
    if isinstance(obj, dict):
        if "__ndarray__" in obj:
            a = np.frombuffer(base64.b64decode(obj["__ndarray__"]), dtype=np.dtype(obj["dtype"]))
            a = a.reshape(obj["shape"]).copy()
            return a[()] if a.ndim == 0 else a
        if "__tuple__" in obj:
            return tuple(_decode(v) for v in obj["__tuple__"])
        if "__dict_items__" in obj:
            return {_decode(k): _decode(v) for k, v in obj["__dict_items__"]}
        return {k: _decode(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_decode(v) for v in obj]
    return obj


def _neighbor_lists(system) -> list:
    """``(term index, neighbour list)`` of every term that keeps one."""
    out = []
    for k, term in enumerate(system.terms):
        nl = getattr(term, "neighbor_list", None)
        if nl is not None and hasattr(nl, "build"):
            out.append((k, term, nl))
    return out


def neighbor_list_states(system) -> list[dict]:
    """Reference positions/box of each term's neighbour list (None before the first build)."""
    states = []
    for k, _term, nl in _neighbor_lists(system):
        x0 = getattr(nl, "_x0", None)
        box0 = getattr(nl, "_box0", None)
        states.append({"term": k, "x0": None if x0 is None else x0.copy(),
                       "box0": None if box0 is None else box0.copy()})
    return states


def restore_neighbor_lists(system, states: list[dict]) -> None:
    """Rebuild each term's neighbour list from the stored reference positions.

    The term is evaluated once at the reference positions after its list has
    been invalidated, so the list and any per-build bookkeeping of the term
    (work partition) are exactly those of the run that wrote the checkpoint.
    """
    lists = {k: (term, nl) for k, term, nl in _neighbor_lists(system)}
    for s in states:
        if s["x0"] is None or s["term"] not in lists:
            continue
        term, nl = lists[s["term"]]
        nl._x0 = None  # force the rebuild at exactly these positions
        term.energy_forces(np.asarray(s["x0"]), s["box0"])


def checkpoint_bytes(simulation: Simulation) -> bytes:
    """Serialise the simulation's state as the bytes of an ``.npz`` archive."""
    st = simulation.state
    integ = simulation.integrator
    meta = {
        "format_version": FORMAT_VERSION,
        "n_atoms": int(st.n_atoms),
        "integrator": type(integ).__name__,
        "integrator_state": integ.get_state(),
        "neighbor_lists": neighbor_list_states(simulation.system),
        "step": int(st.step),
        "time": float(st.time),
    }
    try:  # the cached forces: the first step after a restart must not recompute them
        forces = np.asarray(integ.forces, dtype=np.float64)
        meta["potential_energy"] = float(integ.potential_energy)
        meta["biased_energy"] = float(getattr(integ, "biased_energy", integ.potential_energy))
    except (RuntimeError, AttributeError, TypeError):
        forces = None
    bias = getattr(simulation, "bias", None)
    meta["bias_state"] = bias.get_state() if hasattr(bias, "get_state") else None
    arrays = {"positions": st.positions, "velocities": st.velocities,
              "meta": np.frombuffer(json.dumps(_encode(meta)).encode(), dtype=np.uint8)}
    if forces is not None:
        arrays["forces"] = forces
    if st.box is not None:
        arrays["box"] = st.box
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def write_checkpoint(path: str | os.PathLike, simulation: Simulation) -> None:
    """Write a checkpoint of ``simulation`` to ``path`` atomically."""
    atomic_write_bytes(path, checkpoint_bytes(simulation))


def read_checkpoint(path: str | os.PathLike) -> dict:
    """Read a checkpoint.

    Returns:
        dict with ``positions``, ``velocities``, ``box`` (or None), ``time``,
        ``step`` and the decoded ``meta`` entries (``integrator_state``, ...).

    Raises:
        CheckpointError: the file is missing pieces or is not a checkpoint (names the file).
    """
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as z:
            data = {k: z[k] for k in z.files}
        meta = _decode(json.loads(bytes(data.pop("meta")).decode()))
    except FileNotFoundError:
        raise
    except Exception as exc:
        raise CheckpointError(f"{path}: not a readable sponge checkpoint "
                              f"({type(exc).__name__}: {exc})") from exc
    for key in ("positions", "velocities"):
        if key not in data:
            raise CheckpointError(f"{path}: checkpoint has no {key!r} array")
    if meta.get("format_version") != FORMAT_VERSION:
        raise CheckpointError(f"{path}: checkpoint format {meta.get('format_version')!r}, "
                              f"this sponge reads format {FORMAT_VERSION}")
    out = dict(meta)
    out["positions"] = data["positions"]
    out["velocities"] = data["velocities"]
    out["box"] = data.get("box")
    out["forces"] = data.get("forces")
    return out


class CheckpointReporter(Reporter):
    """Write a checkpoint every ``interval`` steps (atomically, over the previous one).

    Args:
        file: checkpoint path (``.npz`` contents whatever the suffix).
        interval: steps between checkpoints.
    """

    def __init__(self, file: str | os.PathLike, interval: int) -> None:
        super().__init__(interval)
        self.path = os.fspath(file)

    def report(self, simulation: Simulation, state: State) -> None:
        write_checkpoint(self.path, simulation)
