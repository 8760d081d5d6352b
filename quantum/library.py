"""Circuit builders of textbook algorithms: QFT, Grover oracle and diffusion.

Conventions: qubit 0 is the least significant bit of the state index.

* :func:`qft` ``(qubits)``: the quantum Fourier transform on ``qubits`` (``qubits[0]``
  least significant), ``QFT|j> = 2^{-n/2} sum_k exp(2 pi i j k / 2^n) |k>``: the unitary
  DFT matrix (Nielsen & Chuang, section 5.1), final swaps included.
* :func:`grover_oracle` ``(marked, n_qubits)``: flips the sign of each marked basis
  state, ``O = I - 2 sum_m |m><m|`` (MindQuantum's ``bitphaseflip_operator``).
* :func:`grover_diffusion` ``(n_qubits)``: ``D = 2|s><s| - I``, ``|s> = H^n |0>``.
* :func:`grover_search` ``(marked, n_qubits, iterations=None)``: ``H^n`` then
  ``(D O)^k`` with ``k = floor(pi/4 sqrt(N/M))`` by default (Grover, quant-ph/9605043).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from .circuit import Circuit
from .gates import SWAP, GlobalPhase, H, PhaseShift, X, Z

__all__ = [
    "bitphaseflip_operator", "grover_diffusion", "grover_iterations", "grover_oracle",
    "grover_search", "inverse_qft", "qft",
]


def _check_qubits(qubits: Sequence[int], what: str) -> list[int]:
    qs = [int(q) for q in qubits]
    if not qs:
        raise ValueError(f"{what}: no qubit given")
    if len(set(qs)) != len(qs) or min(qs) < 0:
        raise ValueError(f"{what}: qubits must be distinct and non-negative, got {qs}")
    return qs


def qft(qubits: Sequence[int] | int) -> Circuit:
    """Quantum Fourier transform on ``qubits`` (an int ``n`` means ``range(n)``).

    On the register ``qubits`` read as the integer ``j = sum_i b_{qubits[i]} 2^i`` the
    circuit maps ``|j>`` to ``2^{-n/2} sum_k exp(2 pi i j k / 2^n) |k>``. Built from
    ``H``, controlled ``PhaseShift(2 pi / 2^m)`` and the final ``SWAP`` s.
    """
    qs = _check_qubits(range(qubits) if isinstance(qubits, int) else qubits, "qft")
    n = len(qs)
    circ = Circuit()
    # most significant qubit first; its phase collects the lower bits
    order = qs[::-1]
    for i, target in enumerate(order):
        circ += H.on(target)
        for m, ctrl in enumerate(order[i + 1:], start=2):
            circ += PhaseShift(2.0 * np.pi / 2**m).on(target, ctrl)
    for j in range(n // 2):
        circ += SWAP.on([qs[j], qs[n - 1 - j]])
    return circ


def inverse_qft(qubits: Sequence[int] | int) -> Circuit:
    """The inverse QFT (``qft(qubits).dagger()``)."""
    return qft(qubits).dagger()


def _marked(marked: int | Iterable[int], n_qubits: int, what: str) -> list[int]:
    if int(n_qubits) != n_qubits or n_qubits < 1:
        raise ValueError(f"{what}: n_qubits must be a positive integer, got {n_qubits!r}")
    ms = [int(marked)] if isinstance(marked, int | np.integer) else [int(m) for m in marked]
    for m in ms:
        if not 0 <= m < 1 << n_qubits:
            raise ValueError(f"{what}: marked index {m} outside 0 .. {(1 << n_qubits) - 1} "
                             f"({n_qubits} qubits)")
    if len(set(ms)) != len(ms):
        raise ValueError(f"{what}: repeated marked index in {ms}")
    return ms


def _flip_zero_bits(m: int, n_qubits: int) -> Circuit:
    return Circuit([X.on(q) for q in range(n_qubits) if not (m >> q) & 1])


def _phase_flip_all_ones(n_qubits: int) -> Circuit:
    """``Z`` on the top qubit controlled by all others: ``-1`` on ``|1...1>`` only."""
    top = n_qubits - 1
    ctrls = list(range(top))
    return Circuit([Z.on(top, ctrls) if ctrls else Z.on(top)])


def grover_oracle(marked: int | Iterable[int], n_qubits: int) -> Circuit:
    """Phase oracle ``O|k> = -|k>`` for marked ``k``, ``+|k>`` otherwise (exact).

    Raises:
        ValueError: an index outside the register, or repeated.
    """
    circ = Circuit()
    for m in _marked(marked, n_qubits, "grover_oracle"):
        flips = _flip_zero_bits(m, n_qubits)
        circ += flips
        circ += _phase_flip_all_ones(n_qubits)
        circ += flips
    return circ


def bitphaseflip_operator(phase_inversion_index: Iterable[int], n_qubits: int) -> Circuit:
    """MindQuantum's name for :func:`grover_oracle` (here without a global sign)."""
    return grover_oracle(list(phase_inversion_index), n_qubits)


def grover_diffusion(n_qubits: int) -> Circuit:
    """Inversion about the mean ``D = 2|s><s| - I`` on qubits ``0 .. n-1`` (exact, the
    global sign restored with ``GlobalPhase(pi)``)."""
    if int(n_qubits) != n_qubits or n_qubits < 1:
        raise ValueError(f"grover_diffusion: n_qubits must be a positive integer, got "
                         f"{n_qubits!r}")
    hs = Circuit([H.on(q) for q in range(n_qubits)])
    xs = Circuit([X.on(q) for q in range(n_qubits)])
    # H X (I - 2|1..1><1..1|) X H = I - 2|s><s| = -D
    return hs + xs + _phase_flip_all_ones(n_qubits) + xs + hs + Circuit(
        [GlobalPhase(np.pi).on(0)])


def grover_iterations(n_items: int, n_marked: int = 1) -> int:
    """The optimal number of Grover iterations ``floor(pi / (4 asin(sqrt(M/N))))``."""
    if n_marked < 1 or n_marked > n_items:
        raise ValueError(f"grover_iterations: need 1 <= n_marked <= n_items, got "
                         f"{n_marked}, {n_items}")
    return int(np.floor(np.pi / (4.0 * np.arcsin(np.sqrt(n_marked / n_items)))))


def grover_search(marked: int | Iterable[int], n_qubits: int,
                  iterations: int | None = None) -> Circuit:
    """Grover's search: uniform superposition, then ``iterations`` rounds of oracle and
    diffusion (default :func:`grover_iterations`). Measuring gives a marked item with
    probability ``sin^2((2k+1) asin(sqrt(M/N)))``."""
    ms = _marked(marked, n_qubits, "grover_search")
    k = grover_iterations(1 << n_qubits, len(ms)) if iterations is None else int(iterations)
    oracle, diffusion = grover_oracle(ms, n_qubits), grover_diffusion(n_qubits)
    circ = Circuit([H.on(q) for q in range(n_qubits)])
    for _ in range(k):
        circ += oracle
        circ += diffusion
    return circ
