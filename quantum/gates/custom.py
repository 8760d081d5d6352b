"""User-defined gates: a fixed matrix, or a matrix function with its derivative.

- ``UnivMathGate(name, matrix)``: any ``2**k x 2**k`` unitary; a non-unitary
  matrix raises ``ValueError`` naming the gate.
- ``gene_univ_parameterized_gate(name, matrix_generator, diff_matrix_generator)``
  (MindQuantum's API) returns a gate *class* of one angle ``theta``; the
  user supplies ``U(theta)`` and ``dU/dtheta``. Both are checked once on
  creation (shape, unitarity at two test angles, derivative against a central
  finite difference), so mistakes surface where they are made.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .basic import FixedGate, check_unitary
from .parametric import ParameterGate

__all__ = ["UnivMathGate", "ParameterizedMatrixGate", "gene_univ_parameterized_gate"]

MatrixFn = Callable[[float], np.ndarray]


class UnivMathGate(FixedGate):
    """Gate defined by a constant unitary matrix (``obj_qubits[0]`` least significant).

    Args:
        name: gate name.
        matrix_value: ``(2**k, 2**k)`` unitary.

    Raises:
        ValueError: the matrix is not square, not ``2**k`` sized, or not unitary.
    """

    def __init__(self, name: str, matrix_value: Any) -> None:
        super().__init__(name, matrix_value)


class ParameterizedMatrixGate(ParameterGate):
    """Base class of gates made by :func:`gene_univ_parameterized_gate`."""

    _matrix_fn: MatrixFn
    _diff_fn: MatrixFn

    def __init__(self, pr: Any) -> None:
        super().__init__(pr)
        self.dagger = False

    def matrix_from_values(self, theta: float) -> np.ndarray:
        m = np.asarray(type(self)._matrix_fn(theta), dtype=np.complex128)
        return m.conj().T.copy() if self.dagger else m

    def diff_matrices_from_values(self, theta: float) -> list[np.ndarray]:
        d = np.asarray(type(self)._diff_fn(theta), dtype=np.complex128)
        return [d.conj().T.copy() if self.dagger else d]

    def hermitian(self) -> ParameterizedMatrixGate:
        """Dagger: the same angle with the conjugate-transposed matrix (named ``name†``)."""
        new = self._copy()
        new.dagger = not self.dagger
        base = self.name[:-1] if self.name.endswith("†") else self.name
        new.name = base + ("†" if new.dagger else "")
        return new


def gene_univ_parameterized_gate(
    name: str, matrix_generator: MatrixFn, diff_matrix_generator: MatrixFn
) -> type[ParameterizedMatrixGate]:
    """Make a differentiable one-angle gate class from ``U(theta)`` and ``dU/dtheta``.

    Args:
        name: gate name.
        matrix_generator: ``theta -> (2**k, 2**k)`` unitary.
        diff_matrix_generator: ``theta -> dU/dtheta``, same shape.

    Returns:
        A class; ``cls("a").on(q)`` makes a gate instance.

    Raises:
        ValueError: naming the gate, when ``U`` is not unitary or not ``2**k``
            sized, or ``dU/dtheta`` disagrees with a central finite difference of ``U``.
    """
    if not callable(matrix_generator) or not callable(diff_matrix_generator):
        raise TypeError(f"Gate {name}: matrix_generator and diff_matrix_generator must be callable")
    k = None
    for theta in (0.3141, -1.234):
        m = check_unitary(name, matrix_generator(theta), atol=1e-8)
        d = np.asarray(diff_matrix_generator(theta), dtype=np.complex128)
        if d.shape != m.shape:
            raise ValueError(
                f"Gate {name}: derivative shape {d.shape} differs from matrix shape {m.shape}"
            )
        h = 1e-6
        fd = (
            np.asarray(matrix_generator(theta + h), dtype=np.complex128)
            - np.asarray(matrix_generator(theta - h), dtype=np.complex128)
        ) / (2 * h)
        err = float(np.max(np.abs(fd - d)))
        if err > 1e-5 * max(1.0, float(np.max(np.abs(d)))):
            raise ValueError(
                f"Gate {name}: diff_matrix_generator disagrees with the finite difference of "
                f"matrix_generator at theta={theta} (max error {err:.3g})"
            )
        k = m.shape[0].bit_length() - 1
    cls = type(
        name,
        (ParameterizedMatrixGate,),
        {
            "gate_n_qubits": k,
            "_matrix_fn": staticmethod(matrix_generator),
            "_diff_fn": staticmethod(diff_matrix_generator),
            "__doc__": f"User-defined parameterized gate {name} on {k} qubit(s).",
        },
    )
    return cls
