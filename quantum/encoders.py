"""Data encoders: circuits that load classical data into a quantum state.

Conventions: qubit 0 is the least significant bit of the state index; rotations
are ``R_P(theta) = exp(-i theta P / 2)`` (MindQuantum). Every encoder circuit has
its parameters tagged ``as_encoder()``, so a :class:`quantum.QuantumLayer` takes
them as its input columns (in ``circuit.encoder_params_name`` order).

* :func:`angle_encoder`: one rotation per feature, ``R(x_i)`` on qubit ``i``.
  With ``RY`` on ``|0>``: ``|psi> = prod_i (cos(x_i/2)|0> + sin(x_i/2)|1>)``.
* :func:`amplitude_encoder`: state preparation of a normalised vector
  ``|psi> = sum_k v_k |k>`` (a binary tree of uniformly controlled ``RY``/``RZ``
  rotations, Mottonen et al., quant-ph/0407010), exact including the global phase.
  Returns the circuit and the angles (MindQuantum's ``amplitude_encoder``);
  :func:`amplitude_encoder_params` gives the angles of a batch, for a layer.
* :class:`IQPEncoding`: ``H`` on every qubit, ``RZ(x_i)``, and ``RZ(x_i x_{i+1})``
  between ``CNOT`` s on neighbours (Havlicek et al., Nature 567, 209 (2019));
  :meth:`IQPEncoding.data_preparation` appends the products (MindQuantum's API).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .circuit import Circuit
from .gates import RX, RY, RZ, GlobalPhase, H, ParameterGate, X
from .parameterresolver import ParameterResolver

__all__ = ["IQPEncoding", "amplitude_encoder", "amplitude_encoder_params", "angle_encoder"]

_ROTATIONS = {"RX": RX, "RY": RY, "RZ": RZ, "X": RX, "Y": RY, "Z": RZ}


def _rotation(rotation: Any, what: str) -> type:
    if isinstance(rotation, str):
        if rotation.upper() not in _ROTATIONS:
            raise ValueError(f"{what}: unknown rotation {rotation!r}; use 'RX', 'RY' or 'RZ'")
        return _ROTATIONS[rotation.upper()]
    if isinstance(rotation, type) and issubclass(rotation, ParameterGate):
        return rotation
    raise TypeError(f"{what}: rotation must be 'RX', 'RY', 'RZ' or a rotation gate class, "
                    f"got {rotation!r}")


def angle_encoder(n_features: int, rotation: Any = "RY", qubits: Sequence[int] | None = None,
                  prefix: str = "x", hadamard: bool | None = None) -> Circuit:
    """Angle encoding: ``rotation(x_i)`` on ``qubits[i]``, parameters ``{prefix}{i}``.

    Args:
        n_features: number of features (one qubit each).
        rotation: "RX", "RY" (default) or "RZ", or a gate class.
        qubits: target qubits (default ``0 .. n_features-1``).
        prefix: parameter name prefix.
        hadamard: put ``H`` before each rotation (default: only for "RZ", which would
            otherwise leave ``|0>`` unchanged up to a phase).

    Returns:
        An encoder-tagged circuit.
    """
    if int(n_features) != n_features or n_features < 1:
        raise ValueError(f"angle_encoder: n_features must be a positive integer, got "
                         f"{n_features!r}")
    gate = _rotation(rotation, "angle_encoder")
    qubits = list(range(n_features)) if qubits is None else [int(q) for q in qubits]
    if len(qubits) != n_features:
        raise ValueError(f"angle_encoder: {len(qubits)} qubits for {n_features} features")
    if hadamard is None:
        hadamard = gate is RZ
    circ = Circuit()
    for i, q in enumerate(qubits):
        if hadamard:
            circ += H.on(q)
        circ += gate(f"{prefix}{i}").on(q)
    return circ.as_encoder()


# ---------------------------------------------------------------------------- amplitude encoding
def _normalised(x: Any, n_qubits: int) -> np.ndarray:
    v = np.asarray(x, dtype=np.complex128).reshape(-1)
    if v.size > 1 << n_qubits:
        raise ValueError(f"amplitude_encoder: {v.size} amplitudes do not fit {n_qubits} qubits "
                         f"(at most {1 << n_qubits})")
    v = np.concatenate([v, np.zeros((1 << n_qubits) - v.size)])
    norm = np.linalg.norm(v)
    if not np.isfinite(norm) or norm == 0:
        raise ValueError("amplitude_encoder: the vector is zero or not finite")
    return v / norm


def _tree_names(n_qubits: int) -> list[tuple[str, str, int, int]]:
    """``(ry_name, rz_name, level, prefix)`` in circuit order; level ``l`` prepares qubit
    ``n-1-l`` controlled on the ``l`` qubits above it reading ``prefix``."""
    return [(f"alpha_{lvl}_{p}", f"lambda_{lvl}_{p}", lvl, p)
            for lvl in range(n_qubits) for p in range(1 << lvl)]


def _amplitude_circuit(n_qubits: int) -> Circuit:
    circ = Circuit()
    for ry, rz, lvl, p in _tree_names(n_qubits):
        target = n_qubits - 1 - lvl
        ctrls = list(range(n_qubits - 1, target, -1))   # qubits above the target
        # prefix bit j (most significant first) is the value of ctrls[j]
        flips = [q for j, q in enumerate(ctrls) if not (p >> (lvl - 1 - j)) & 1]
        for q in flips:
            circ += X.on(q)
        circ += RY(ry).on(target, ctrls) if ctrls else RY(ry).on(target)
        circ += RZ(rz).on(target, ctrls) if ctrls else RZ(rz).on(target)
        for q in flips:
            circ += X.on(q)
    circ += GlobalPhase("global_phase").on(n_qubits - 1)
    return circ.as_encoder()


def _amplitude_angles(v: np.ndarray, n_qubits: int) -> dict[str, float]:
    """Angles that prepare the normalised vector ``v`` (length ``2**n``) from ``|0>``."""
    mag = np.abs(v)
    phase = np.where(mag > 1e-300, np.angle(v), 0.0)
    # level l has 2**l prefixes; the node of prefix p covers indices whose top l bits are p
    out: dict[str, float] = {}
    # bottom-up magnitudes r and mean phases w of every node, by level
    r = {n_qubits: mag}
    w = {n_qubits: phase}
    for lvl in range(n_qubits - 1, -1, -1):
        # children of node p at level lvl: 2p (next bit 0) and 2p+1 (next bit 1) at lvl+1,
        # where "next bit" is qubit n-1-lvl; indices at level lvl+1 are the top lvl+1 bits
        child_r, child_w = r[lvl + 1], w[lvl + 1]
        r[lvl] = np.sqrt(child_r[0::2] ** 2 + child_r[1::2] ** 2)
        w[lvl] = 0.5 * (child_w[0::2] + child_w[1::2])
    for lvl in range(n_qubits):
        child_r, child_w = r[lvl + 1], w[lvl + 1]
        for p in range(1 << lvl):
            r0, r1 = child_r[2 * p], child_r[2 * p + 1]
            out[f"alpha_{lvl}_{p}"] = float(2.0 * np.arctan2(r1, r0))
            out[f"lambda_{lvl}_{p}"] = float(child_w[2 * p + 1] - child_w[2 * p])
    # GlobalPhase(theta) multiplies by exp(-i theta): restore the root's mean phase
    out["global_phase"] = float(-w[0][0])
    return out


def amplitude_encoder(x: Any, n_qubits: int) -> tuple[Circuit, ParameterResolver]:
    """Amplitude encoding of ``x`` on ``n_qubits`` qubits (exact state preparation).

    ``x`` (real or complex, length ``<= 2**n_qubits``, padded with zeros) is
    normalised; the circuit with the returned values prepares
    ``|psi> = sum_k x_k / |x| |k>`` from ``|0...0>`` exactly, global phase included.
    Uses ``2**n - 1`` (multi-)controlled ``RY`` and ``RZ`` pairs and one ``GlobalPhase``.

    Args:
        x: the data vector.
        n_qubits: register width.

    Returns:
        ``(circuit, values)``: an encoder-tagged circuit and a ParameterResolver of its
        angles (MindQuantum's return convention).

    Raises:
        ValueError: ``x`` too long, zero or not finite.
    """
    if int(n_qubits) != n_qubits or n_qubits < 1:
        raise ValueError(f"amplitude_encoder: n_qubits must be a positive integer, got "
                         f"{n_qubits!r}")
    v = _normalised(x, n_qubits)
    return _amplitude_circuit(n_qubits), ParameterResolver(_amplitude_angles(v, n_qubits))


def amplitude_encoder_params(data: Any, n_qubits: int) -> np.ndarray:
    """Angles of :func:`amplitude_encoder` for a batch ``data`` of shape ``(batch, d)``.

    Returns ``(batch, n_params)``, columns in the order of the circuit's
    ``encoder_params_name`` (so that ``QuantumLayer(circuit, hams)(angles)`` encodes
    each row).
    """
    data = np.asarray(data)
    if data.ndim == 1:
        data = data[None]
    names = _amplitude_circuit(n_qubits).encoder_params_name
    rows = []
    for i, row in enumerate(data):
        try:
            vals = _amplitude_angles(_normalised(row, n_qubits), n_qubits)
        except ValueError as exc:
            raise ValueError(f"amplitude_encoder_params: row {i}: {exc}") from None
        rows.append([vals[n] for n in names])
    return np.array(rows)


# ---------------------------------------------------------------------------- IQP encoding
class IQPEncoding:
    """IQP encoding of ``n_feature`` features (MindQuantum's ``IQPEncoding``).

    One repeat: ``H`` on every qubit, ``first_rotation_gate(alpha_i)`` on qubit ``i``,
    then for each neighbour pair ``CNOT(i, i-1)``, ``second_rotation_gate(alpha_{i-1} *
    alpha_i)`` on ``i``, ``CNOT(i, i-1)``; the ``H`` layer is applied once, the rest
    ``num_repeats`` times. The products are separate encoder parameters named
    ``"alpha{i-1}_x_alpha{i}"`` (MindQuantum: ``"alpha{i-1} * alpha{i}"``): feed
    ``data_preparation(x)`` (``2n - 1`` columns).

    Attributes:
        circuit: the encoder-tagged circuit.
    """

    def __init__(self, n_feature: int, first_rotation_gate: Any = RZ,
                 second_rotation_gate: Any = RZ, num_repeats: int = 1, prefix: str = "",
                 suffix: str = "") -> None:
        if int(n_feature) != n_feature or n_feature < 1:
            raise ValueError(f"IQPEncoding: n_feature must be a positive integer, got "
                             f"{n_feature!r}")
        if int(num_repeats) != num_repeats or num_repeats < 1:
            raise ValueError(f"IQPEncoding: num_repeats must be a positive integer, got "
                             f"{num_repeats!r}")
        g1 = _rotation(first_rotation_gate, "IQPEncoding")
        g2 = _rotation(second_rotation_gate, "IQPEncoding")
        self.n_feature = int(n_feature)
        self.num_repeats = int(num_repeats)

        def name(s: str) -> str:
            s = f"{prefix}_{s}" if prefix else s
            return f"{s}_{suffix}" if suffix else s

        circ = Circuit([H.on(q) for q in range(self.n_feature)])
        unit = Circuit([g1(name(f"alpha{i}")).on(i) for i in range(self.n_feature)])
        for i in range(1, self.n_feature):
            unit += X.on(i, i - 1)
            unit += g2(name(f"alpha{i - 1}_x_alpha{i}")).on(i)
            unit += X.on(i, i - 1)
        for _ in range(self.num_repeats):
            circ += unit
        self.circuit = circ.as_encoder()

    def data_preparation(self, data: Any) -> np.ndarray:
        """``(batch, n)`` features -> ``(batch, 2n - 1)``: the features, then products of
        neighbours ``x_{i-1} x_i`` (a 1-D input gives a 1-D output).

        Raises:
            ValueError: wrong number of features or dimensions.
        """
        x = np.asarray(data, dtype=np.float64)
        if x.ndim not in (1, 2) or x.shape[-1] != self.n_feature:
            raise ValueError(f"IQPEncoding needs data of shape (batch, {self.n_feature}) or "
                             f"({self.n_feature},), got {x.shape}")
        return np.concatenate([x, x[..., :-1] * x[..., 1:]], axis=-1)
