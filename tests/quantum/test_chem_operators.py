"""FermionOperator algebra and fermion-to-qubit transforms.

References: Fock-space matrices built here from the definition of the ladder
operators (a_j^+ |x> = (-1)^{#occupied modes < j} |x + e_j>), and MindQuantum's
``FermionOperator``/``Transform`` when installed.
"""

import itertools

import numpy as np
import pytest

from quantum import QubitOperator
from quantum.chem import (
    FermionOperator,
    InteractionOperator,
    Transform,
    bravyi_kitaev,
    encoding_matrix,
    hermitian_conjugated,
    jordan_wigner,
    normal_ordered,
    number_operator,
    parity,
)


def fock_ladder(j: int, n: int, create: bool) -> np.ndarray:
    """Dense a_j^+ (create) or a_j on n modes; mode k is bit k of the basis index."""
    dim = 2**n
    out = np.zeros((dim, dim))
    for x in range(dim):
        occ = (x >> j) & 1
        if create and not occ:
            out[x | (1 << j), x] = (-1) ** bin(x & ((1 << j) - 1)).count("1")
        if not create and occ:
            out[x & ~(1 << j), x] = (-1) ** bin(x & ((1 << j) - 1)).count("1")
    return out


def dense(op: FermionOperator, n: int) -> np.ndarray:
    """Fock-space matrix of a FermionOperator from the ladder matrices."""
    mat = np.zeros((2**n, 2**n), dtype=complex)
    for term, c in op.terms.items():
        m = np.eye(2**n, dtype=complex)
        for mode, action in term:
            m = m @ fock_ladder(mode, n, bool(action))
        mat += complex(c) * m
    return mat


def random_fermion_op(rng, n: int, n_terms: int = 6, max_len: int = 4) -> FermionOperator:
    op = FermionOperator()
    for _ in range(n_terms):
        k = int(rng.integers(1, max_len + 1))
        term = tuple((int(rng.integers(n)), int(rng.integers(2))) for _ in range(k))
        op += FermionOperator(term, complex(rng.normal(), rng.normal()))
    return op


def test_parse_and_str():
    op = FermionOperator("3^ 0", 0.5)
    assert op.terms == {((3, 1), (0, 0)): 0.5}
    assert FermionOperator(((3, 1), (0, 0)), 0.5).terms == op.terms
    assert "3^ 0" in str(op)
    assert FermionOperator("").terms == {(): 1.0}
    with pytest.raises(ValueError, match="3x"):
        FermionOperator("3x 0")
    with pytest.raises(ValueError, match="Negative"):
        FermionOperator(((-1, 1),))


def test_anticommutation_relations():
    n = 3
    for p, q in itertools.product(range(n), repeat=2):
        ap, aq = FermionOperator(((p, 0),)), FermionOperator(((q, 0),))
        aqd = FermionOperator(((q, 1),))
        anti = normal_ordered(ap * aqd + aqd * ap)
        assert anti == (1.0 if p == q else 0.0)
        assert normal_ordered(ap * aq + aq * ap).compress().terms == {}


def test_normal_order_matches_dense_and_is_canonical():
    rng = np.random.default_rng(3)
    n = 4
    for _ in range(5):
        op = random_fermion_op(rng, n)
        no = normal_ordered(op)
        np.testing.assert_allclose(dense(no, n), dense(op, n), atol=1e-12)
        for term in no.terms:
            acts = [a for _, a in term]
            assert acts == sorted(acts, reverse=True)
            for act in (0, 1):
                modes = [m for m, a in term if a == act]
                assert modes == sorted(modes, reverse=True) and len(set(modes)) == len(modes)


def test_algebra_vs_dense():
    rng = np.random.default_rng(4)
    n = 3
    a, b = random_fermion_op(rng, n), random_fermion_op(rng, n)
    np.testing.assert_allclose(dense(a * b, n), dense(a, n) @ dense(b, n), atol=1e-12)
    np.testing.assert_allclose(dense(a + 2.0 * b - 1.5, n),
                               dense(a, n) + 2 * dense(b, n) - 1.5 * np.eye(8), atol=1e-12)
    np.testing.assert_allclose(dense(hermitian_conjugated(a), n), dense(a, n).conj().T,
                               atol=1e-12)
    np.testing.assert_allclose(dense(a**2, n), dense(a, n) @ dense(a, n), atol=1e-12)
    num = number_operator(n)
    np.testing.assert_allclose(np.diag(dense(num, n)).real,
                               [bin(x).count("1") for x in range(8)], atol=1e-12)
    small = (FermionOperator("1^ 0", 1e-14) + FermionOperator("0^", 1.0)).compress(1e-12)
    assert list(small.terms) == [((0, 1),)]


@pytest.mark.parametrize("transform", [jordan_wigner, parity, bravyi_kitaev])
def test_transforms_reproduce_fock_matrices_in_their_basis(transform):
    """A transform is exact: its image equals B F B^-1 with B the basis relabelling x -> A x."""
    rng = np.random.default_rng(5)
    n = 5
    kind = transform.__name__
    a = encoding_matrix(kind, n)
    perm = np.zeros((2**n, 2**n))
    for x in range(2**n):
        bits = np.array([(x >> k) & 1 for k in range(n)])
        y = int(sum(int(b) << k for k, b in enumerate(a @ bits % 2)))
        perm[y, x] = 1.0
    for _ in range(3):
        op = random_fermion_op(rng, n)
        q = transform(op, n)
        np.testing.assert_allclose(q.matrix(n).toarray(), perm @ dense(op, n) @ perm.T,
                                   atol=1e-12)


def test_jw_closed_form_and_transform_class():
    # a_2^+ -> Z0 Z1 (X2 - i Y2)/2
    q = jordan_wigner(FermionOperator("2^"))
    expect = QubitOperator("Z0 Z1 X2", 0.5) + QubitOperator("Z0 Z1 Y2", -0.5j)
    assert q == expect
    op = FermionOperator("1^ 0") + FermionOperator("0^ 1")
    assert Transform(op).jordan_wigner() == QubitOperator("X0 X1", 0.5) + QubitOperator(
        "Y0 Y1", 0.5)
    with pytest.raises(TypeError, match="FermionOperator"):
        jordan_wigner(QubitOperator("X0"))


def test_spectra_agree_between_transforms():
    rng = np.random.default_rng(6)
    n = 4
    h1 = rng.normal(size=(n, n))
    h1 = h1 + h1.T
    h2 = rng.normal(size=(n,) * 4)
    h2 = h2 + h2.transpose(3, 2, 1, 0)  # Hermitian: h2[pqrs] = h2[srqp]
    io = InteractionOperator(0.3, h1, h2)
    spectra = [np.linalg.eigvalsh(t(io, n).matrix(n).toarray()) for t in
               (jordan_wigner, parity, bravyi_kitaev)]
    np.testing.assert_allclose(spectra[1], spectra[0], atol=1e-10)
    np.testing.assert_allclose(spectra[2], spectra[0], atol=1e-10)
    np.testing.assert_allclose(jordan_wigner(io.get_fermion_operator(), n).matrix(n).toarray(),
                               jordan_wigner(io, n).matrix(n).toarray(), atol=1e-12)


def test_against_mindquantum_transforms():
    mo = pytest.importorskip("mindquantum.core.operators")
    from mindquantum.algorithm.nisq import Transform as MQTransform

    rng = np.random.default_rng(7)
    n = 6
    for _ in range(4):
        k = int(rng.integers(1, 5))
        modes = rng.choice(n, size=k, replace=False)  # distinct: never the zero operator
        s = " ".join(f"{m}{'^' if rng.random() < 0.5 else ''}" for m in modes)
        c = complex(rng.normal(), rng.normal())
        ours, theirs = FermionOperator(s, c), mo.FermionOperator(s, c)
        for name in ("jordan_wigner", "parity", "bravyi_kitaev"):
            a = getattr(Transform(ours, n), name)().matrix(n).toarray()
            b = getattr(MQTransform(theirs, n), name)().matrix(n).toarray()
            np.testing.assert_allclose(a, b, atol=1e-12, err_msg=f"{name} of {s}")
        np.testing.assert_allclose(normal_ordered(ours).matrix(n).toarray(),
                                   mo.normal_ordered(theirs).matrix(n).toarray(), atol=1e-12)


def test_parameterized_coefficients_transform_then_substitute():
    op = FermionOperator("2^ 0", "t") - FermionOperator("0^ 2", "t") + FermionOperator(
        "1^ 1", {"u": 2.0})
    vals = {"t": 0.3, "u": -0.7}
    for t in (jordan_wigner, parity, bravyi_kitaev):
        assert t(op, 3).subs(vals) == t(op.subs(vals), 3)
    assert normal_ordered(op + op.hermitian()).subs(vals) == normal_ordered(
        op.subs(vals) + op.subs(vals).hermitian())
