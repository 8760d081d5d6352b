"""Pauli sums in the mask form the expectation kernels use.

``PauliSum.from_hamiltonian(h, n_qubits)`` accepts a ``Hamiltonian`` (``.terms``
a list of ``(term, coeff)``), a ``QubitOperator`` (``.terms`` a dict) or a raw
list of ``(term, coeff)`` pairs, where ``term`` is a tuple of ``(qubit,
"X"|"Y"|"Z")``. A Hamiltonian whose ``sparse_mat`` is set (after
``Hamiltonian.sparse(n)``) is applied as that CSR matrix instead.

Encoding (see :mod:`quantum.kernels.cpu_expect`): terms grouped by their X/Y
mask ``xg[g]``; group ``g`` spans ``start[g]:start[g+1]`` of ``zy`` (Z/Y mask)
and ``coef`` (coefficient times ``(-i)**n_Y``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class PauliSum:
    """Grouped Pauli-mask form of a Hamiltonian on ``n_qubits`` qubits."""

    xg: np.ndarray
    start: np.ndarray
    zy: np.ndarray
    coef: np.ndarray
    hermitian: bool
    sparse: object = None

    @classmethod
    def from_hamiltonian(cls, ham, n_qubits: int) -> PauliSum:
        """Encode ``ham``; raises ValueError if it acts on a qubit >= ``n_qubits``."""
        sparse = getattr(ham, "sparse_mat", None)
        terms = ham.terms if hasattr(ham, "terms") else ham
        if isinstance(terms, dict):
            terms = list(terms.items())
        groups: dict[int, list[tuple[int, complex]]] = {}
        herm = True
        for term, coeff in terms:
            c = _coeff(coeff, term)
            if abs(c.imag) > 1e-12:
                herm = False
            x = zy = ny = 0
            for q, p in term:
                q = int(q)
                if q < 0 or q >= n_qubits:
                    raise ValueError(
                        f"Hamiltonian term {_fmt(term)} acts on qubit {q}, but the circuit/"
                        f"simulator has only {n_qubits} qubits."
                    )
                p = str(p).upper()
                if p == "X":
                    x |= 1 << q
                elif p == "Y":
                    x |= 1 << q
                    zy |= 1 << q
                    ny += 1
                elif p == "Z":
                    zy |= 1 << q
                elif p != "I":
                    raise ValueError(f"Hamiltonian term {_fmt(term)}: unknown Pauli '{p}'.")
            groups.setdefault(x, []).append((zy, c * (-1j) ** ny))
        xs = sorted(groups)
        start = np.zeros(len(xs) + 1, dtype=np.int64)
        zys, cs = [], []
        for g, x in enumerate(xs):
            for zy, c in groups[x]:
                zys.append(zy)
                cs.append(c)
            start[g + 1] = len(zys)
        if sparse is not None:
            if sparse.shape[0] != 1 << n_qubits:
                raise ValueError(f"Sparse Hamiltonian of dimension {sparse.shape[0]} does not "
                                 f"match {n_qubits} qubits.")
            sparse = sparse.tocsr()
        return cls(np.array(xs, dtype=np.int64), start, np.array(zys, dtype=np.int64),
                   np.array(cs, dtype=np.complex128), herm, sparse)

    def split(self, n_amp: int):
        """``(diag, cflag, csum, g_first)`` for ``cpu_expect.apply_pauli_sum_split_*``.

        ``diag`` ``(n_amp,)`` is the tabulated diagonal group when it has two or more terms
        (then ``g_first = 1``; otherwise ``g_first = 0`` and ``diag`` is a placeholder),
        ``cflag[g]`` marks groups without Z/Y factors and ``csum[g]`` their coefficient.
        Computed once per ``n_amp`` and kept on the object (``None`` for sparse sums).
        """
        if self.sparse is not None:
            return None
        cache = self.__dict__.setdefault("_split", {})
        hit = cache.get(n_amp)
        if hit is not None:
            return hit
        from ..kernels.cpu_expect import pauli_diagonal

        diag = np.zeros(1, dtype=np.complex128)
        g_first = 0
        if len(self.xg) and self.xg[0] == 0 and self.start[1] - self.start[0] >= 2:
            a, b = self.start[0], self.start[1]
            diag = np.zeros(n_amp, dtype=np.complex128)
            pauli_diagonal(n_amp, self.zy[a:b], self.coef[a:b], diag)
            g_first = 1
        ng = len(self.xg)
        cflag = np.array([bool(np.all(self.zy[self.start[g]:self.start[g + 1]] == 0))
                          for g in range(ng)], dtype=np.bool_)
        csum = np.array([self.coef[self.start[g]:self.start[g + 1]].sum() for g in range(ng)],
                        dtype=np.complex128)
        cache[n_amp] = (diag, cflag, csum, g_first)
        return cache[n_amp]

    def dagger(self) -> PauliSum:
        """The Hermitian conjugate (conjugated term coefficients)."""
        if self.hermitian:
            return self
        # (c * (-i)**ny P') ^dag with the phase folded: P = (-i)**ny X^x Z^zy -> conj works on
        # the full coefficient because X^x Z^zy (-i)**ny is Hermitian as a whole.
        sp = None if self.sparse is None else self.sparse.conj().T.tocsr()
        coef = np.empty_like(self.coef)
        for g in range(len(self.xg)):
            for t in range(self.start[g], self.start[g + 1]):
                ny = bin(int(self.xg[g]) & int(self.zy[t])).count("1")
                phase = (-1j) ** ny
                coef[t] = np.conj(self.coef[t] / phase) * phase
        return PauliSum(self.xg, self.start, self.zy, coef, True, sp)


def _coeff(coeff, term) -> complex:
    if hasattr(coeff, "is_const"):
        if not coeff.is_const():
            raise ValueError(f"Hamiltonian term {_fmt(term)} has a parameterized coefficient "
                             f"{coeff}; bind it first.")
        return complex(coeff.const)
    return complex(coeff)


def _fmt(term) -> str:
    return " ".join(f"{p}{q}" for q, p in term) or "I"
