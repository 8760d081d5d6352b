"""QubitOperator algebra and Hamiltonian matrices against dense Kronecker products and MindQuantum."""

import numpy as np
import pytest

from quantum import Hamiltonian, ParameterResolver, QubitOperator

try:
    from mindquantum.core.operators import QubitOperator as MQOp
except Exception:  # pragma: no cover
    MQOp = None

P = {
    "I": np.eye(2),
    "X": np.array([[0, 1], [1, 0]], dtype=complex),
    "Y": np.array([[0, -1j], [1j, 0]]),
    "Z": np.diag([1.0 + 0j, -1.0]),
}


def dense(op_terms, n):
    """Reference: sum of kron products, qubit 0 the rightmost factor."""
    out = np.zeros((2**n, 2**n), dtype=complex)
    for term, c in op_terms.items():
        letters = ["I"] * n
        for q, p in term:
            letters[q] = p
        m = np.ones((1, 1))
        for q in reversed(range(n)):
            m = np.kron(m, P[letters[q]])
        out += complex(c) * m
    return out


def random_op(rng, n, n_terms=6):
    op = QubitOperator()
    for _ in range(n_terms):
        qs = rng.choice(n, size=int(rng.integers(0, n + 1)), replace=False)
        term = " ".join(f"{'XYZ'[int(rng.integers(3))]}{int(q)}" for q in qs)
        op += QubitOperator(term, complex(rng.normal(), rng.normal()))
    return op


def test_term_parsing_and_canonical_keys():
    op = QubitOperator("Y3 X0 Z1", 2.0)
    assert list(op.terms) == [((0, "X"), (1, "Z"), (3, "Y"))]
    assert QubitOperator("").terms == {(): 1.0}
    assert QubitOperator().terms == {}
    assert QubitOperator(((1, "Z"), (0, "x"))).terms == {((0, "X"), (1, "Z")): 1.0}
    # same-qubit products reduce with their phase: X0 Y0 = i Z0
    assert QubitOperator("X0 Y0").terms == {((0, "Z"),): 1j}
    for bad in ["X", "A0", "X-1", "X0Y1"]:
        with pytest.raises(ValueError, match="Invalid Pauli token"):
            QubitOperator(bad)


def test_matrix_equals_dense_kron_reference():
    rng = np.random.default_rng(0)
    for n in (1, 2, 4):
        op = random_op(rng, n)
        np.testing.assert_allclose(op.matrix(n).toarray(), dense(op.terms, n), atol=1e-13)
        np.testing.assert_allclose(op.matrix(n, sparse=False), dense(op.terms, n), atol=1e-13)


def test_algebra_matches_matrix_algebra():
    rng = np.random.default_rng(1)
    n = 3
    a, b = random_op(rng, n), random_op(rng, n)
    A, B = dense(a.terms, n), dense(b.terms, n)
    checks = [
        (a + b, A + B),
        (a - b, A - B),
        (a * b, A @ B),
        (b * a, B @ A),
        (2.5 * a, 2.5 * A),
        (a * (1 - 2j), (1 - 2j) * A),
        (a / 4, A / 4),
        (-a, -A),
        (a + 1.5, A + 1.5 * np.eye(2**n)),
        (a**3, A @ A @ A),
        (a.hermitian(), A.conj().T),
    ]
    for op, ref in checks:
        np.testing.assert_allclose(op.matrix(n, sparse=False), ref, atol=1e-12)


def test_compress_equality_and_str():
    op = QubitOperator("X0", 1e-14) + QubitOperator("Z1", 2 + 1e-15j)
    c = op.compress(1e-12)
    assert list(c.terms) == [((1, "Z"),)] and isinstance(c.terms[((1, "Z"),)], float)
    assert QubitOperator("X0") * QubitOperator("X0") == QubitOperator("")
    assert QubitOperator("X0") + QubitOperator("Y1") == QubitOperator("Y1") + QubitOperator("X0")
    assert QubitOperator("X0") != QubitOperator("X1")
    text = str(QubitOperator("X0 Y1", 0.5) + QubitOperator("Z2", "a"))
    assert "0.5 [X0 Y1]" in text and "(a) [Z2]" in text


def test_parameterized_coefficients():
    op = QubitOperator("X0", "a") + QubitOperator("X0", {"b": 2.0}) + QubitOperator("Z1", 1.0)
    assert op.parameterized
    assert op.terms[((0, "X"),)] == ParameterResolver({"a": 1.0, "b": 2.0})
    num = op.subs({"a": 0.5, "b": 0.25})
    assert not num.parameterized and num.terms[((0, "X"),)] == 1.0
    with pytest.raises(ValueError, match="parameterized"):
        op.matrix(2)
    with pytest.raises(ValueError, match="'b'"):
        op.subs({"a": 1.0})


def test_matrix_width_error():
    with pytest.raises(ValueError, match="wider than n_qubits=2"):
        QubitOperator("Z2").matrix(2)


@pytest.mark.skipif(MQOp is None, reason="mindquantum not installed")
def test_products_and_matrices_equal_mindquantum():
    rng = np.random.default_rng(2)
    n = 3
    for _ in range(3):
        a, b = random_op(rng, n, 4), random_op(rng, n, 4)

        def to_mq(op):
            out = MQOp()
            for term, c in op.terms.items():
                out += MQOp(" ".join(f"{p}{q}" for q, p in term), complex(c))
            return out

        ma, mb = to_mq(a), to_mq(b)
        ref = (ma * mb + ma.hermitian()).matrix(n).toarray()
        np.testing.assert_allclose((a * b + a.hermitian()).matrix(n, sparse=False), ref, atol=1e-12)


def test_hamiltonian_terms_and_sparse():
    op = QubitOperator("Z0 Z1", 1.0) + QubitOperator("X2", 0.5) + QubitOperator("", -0.25)
    h = Hamiltonian(op)
    assert h.n_qubits == 3 and h.sparse_mat is None
    assert dict(h.terms) == {((0, "Z"), (1, "Z")): 1.0, ((2, "X"),): 0.5, (): -0.25}
    assert all(isinstance(c, complex) for _, c in h.terms)
    assert h.is_hermitian
    assert h.sparse(4) is h
    np.testing.assert_allclose(h.sparse_mat.toarray(), dense(op.terms, 4), atol=1e-14)
    with pytest.raises(ValueError, match="wider than n_qubits=2"):
        Hamiltonian(op).sparse(2)
    with pytest.raises(ValueError, match="must be numbers"):
        Hamiltonian(QubitOperator("X0", "a"))
    with pytest.raises(TypeError):
        Hamiltonian("Z0")
    hs = Hamiltonian(op.matrix(3))
    assert hs.n_qubits == 3 and hs.sparse_mat is not None and hs.terms == []


def test_split_iter_relabel_real_imag_and_misc():
    rng = np.random.default_rng(4)
    op = random_op(rng, 3)
    n = 3
    parts = list(op.split())
    total = sum((c * o for c, o in parts), QubitOperator())
    assert total == op and len(list(op)) == len(op)
    relabeled = op.relabel({0: 2, 2: 0})
    perm = np.array([int(f"{i:03b}"[::-1], 2) for i in range(8)])  # reverse 3 bits
    np.testing.assert_allclose(
        relabeled.matrix(n, sparse=False), dense(op.terms, n)[np.ix_(perm, perm)], atol=1e-13
    )
    np.testing.assert_allclose(
        (op.real + 1j * op.imag).matrix(n, sparse=False), dense(op.terms, n), atol=1e-13
    )
    assert QubitOperator("Z5").count_qubits() == 6
    assert QubitOperator("", 2.5).constant == 2.5 and QubitOperator("X1").constant == 0.0
    x = QubitOperator("X0")
    x *= QubitOperator("Z0")
    assert x == QubitOperator("Y0", -1j)
    np.testing.assert_allclose((op / 2j).matrix(n, sparse=False), dense(op.terms, n) / 2j, atol=1e-13)
    with pytest.raises(ValueError, match="non-negative int"):
        op**-1
    h = Hamiltonian(op)
    np.testing.assert_allclose(h.hermitian().matrix(n).toarray(), dense(op.terms, n).conj().T, atol=1e-13)
    assert not h.is_hermitian
    assert Hamiltonian(op + op.hermitian()).is_hermitian
