"""Adjoint gradients against analytic values, parameter shift, finite differences and MindQuantum.

Tolerances: analytic and parameter shift 1e-12; central differences (h = 1e-6) 1e-8.
"""

import numpy as np
import pytest

from quantum import Circuit, ParameterResolver, gates
from quantum.simulator import Simulator
from tests.quantum.test_simulator_reference import apply_reference, ham_matrix


class Ham:
    """Minimal Hamiltonian stand-in: ``.terms`` as ``[(term, coeff)]`` (the interface)."""

    def __init__(self, terms):
        self.terms = terms


Z1 = Ham([(((1, "Z"),), 1.0)])


def _mq_example():
    return Circuit([gates.RX("a").on(0), gates.RY("b").on(1), gates.X.on(1, 0)])


def test_mindquantum_example_analytic():
    sim = Simulator("cpu", 2)
    grad_ops = sim.get_expectation_with_grad(Z1, _mq_example())
    for a, b in [(0.3, 1.1), (-2.0, 0.4), (1.5707, -3.0)]:
        f, g = grad_ops(np.array([a, b]))
        assert f.shape == (1, 1) and g.shape == (1, 1, 2) and np.iscomplexobj(g)
        assert abs(f[0, 0] - np.cos(a) * np.cos(b)) < 1e-12
        assert np.allclose(g[0, 0], [-np.sin(a) * np.cos(b), -np.cos(a) * np.sin(b)],
                           atol=1e-12, rtol=0)


def _expect_dense(circ, terms, n, pr, circ_left=None):
    zero = np.zeros(1 << n, dtype=complex)
    zero[0] = 1
    psi = apply_reference(circ, zero, n, pr)
    phi = psi if circ_left is None else apply_reference(circ_left, zero, n, pr)
    return phi.conj() @ ham_matrix(terms.terms, n) @ psi


def _hea(n, layers, enc=False):
    c = Circuit()
    if enc:
        for q in range(n):
            c += gates.RX(f"x{q}").on(q)
        c = c.as_encoder()
    body = Circuit()
    for layer in range(layers):
        for q in range(n):
            body += gates.RY(f"y{layer}_{q}").on(q)
            body += gates.RZ({f"z{layer}_{q}": 0.7, f"y{layer}_{q}": 0.2}).on(q)
        for q in range(n - 1):
            body += gates.X.on(q + 1, q)
        body += gates.Rzz(f"zz{layer}").on([0, n - 1])
        body += gates.U3(f"y{layer}_0", f"z{layer}_1", 0.3).on(1, 0)
    return c + body


HAMS = [
    Ham([(((0, "Z"), (1, "Z")), 1.0), (((2, "X"),), 0.5), ((), 0.25)]),
    Ham([(((0, "Y"), (2, "Y"), (3, "X")), -0.75), (((1, "Z"),), 0.3)]),
    Ham([(((3, "Y"),), 1.0)]),
]


def test_parameter_shift_on_rotation_gates():
    """Every parameter of the HEA enters only through RY/RZ/Rzz/U3 (theta, phi) slots;
    parameters appearing in one exp(-i t P/2) gate obey the two-term shift rule."""
    n = 4
    c = Circuit()
    for q in range(n):
        c += gates.RY(f"a{q}").on(q)
        c += gates.RX(f"b{q}").on((q + 1) % n, q)
    c += gates.Rxx("c").on([0, 2])
    sim = Simulator("cpu", n)
    names = c.params_name
    rng = np.random.default_rng(0)
    x = rng.uniform(-np.pi, np.pi, len(names))
    f, g = sim.get_expectation_with_grad(HAMS[0], c)(x)
    for j, p in enumerate(names):
        if p.startswith("b"):
            continue  # controlled rotations have four-term rules
        plus, minus = x.copy(), x.copy()
        plus[j] += np.pi / 2
        minus[j] -= np.pi / 2
        shift = 0.5 * (_expect_dense(c, HAMS[0], n, dict(zip(names, plus, strict=True))) -
                       _expect_dense(c, HAMS[0], n, dict(zip(names, minus, strict=True))))
        assert abs(g[0, 0, j] - shift) < 1e-12, p


@pytest.mark.parametrize("fusion", [True, False])
def test_batched_encoder_ansatz_multi_hamiltonian_vs_finite_differences(fusion):
    n = 4
    c = _hea(n, 2, enc=True)
    sim = Simulator("cpu", n, fusion=fusion)
    ops = sim.get_expectation_with_grad(HAMS, c, parallel_worker=2)
    enc_names, ans_names = ops.encoder_params_name, ops.ansatz_params_name
    assert enc_names == [f"x{q}" for q in range(n)]
    rng = np.random.default_rng(1)
    enc = rng.uniform(-2, 2, (3, len(enc_names)))
    ans = rng.uniform(-2, 2, len(ans_names))
    f, ge, ga = ops(enc, ans)
    assert f.shape == (3, 3) and ge.shape == (3, 3, n) and ga.shape == (3, 3, len(ans_names))
    h = 1e-6
    for b in range(3):
        pr = dict(zip(enc_names + ans_names, np.concatenate([enc[b], ans]), strict=True))
        for k, terms in enumerate(HAMS):
            assert abs(f[b, k] - _expect_dense(c, terms, n, pr)) < 1e-12
    # central differences through grad_ops itself (values were just checked)
    for j in range(n):
        d = np.zeros_like(enc)
        d[:, j] = h
        fd = (ops(enc + d, ans)[0] - ops(enc - d, ans)[0]) / (2 * h)
        assert np.max(np.abs(fd - ge[:, :, j])) < 1e-8
    for j in range(len(ans_names)):
        d = np.zeros_like(ans)
        d[j] = h
        fd = (ops(enc, ans + d)[0] - ops(enc, ans - d)[0]) / (2 * h)
        assert np.max(np.abs(fd - ga[:, :, j])) < 1e-8


def test_circ_left_non_hermitian_gradient_vs_finite_differences():
    n = 4
    cr = _hea(n, 1, enc=True)
    cl = Circuit([gates.RY("y0_0").on(0), gates.H.on(1), gates.RX("w").on(2, 1),
                  gates.PhaseShift({"w": 0.5}).on(3)])
    sim = Simulator("cpu", n)
    ops = sim.get_expectation_with_grad(HAMS[:2], cr, cl)
    enc_names, ans_names = ops.encoder_params_name, ops.ansatz_params_name
    assert ans_names[-1] == "w"
    rng = np.random.default_rng(2)
    enc = rng.uniform(-2, 2, (2, len(enc_names)))
    ans = rng.uniform(-2, 2, len(ans_names))
    f, ge, ga = ops(enc, ans)
    pr = dict(zip(enc_names + ans_names, np.concatenate([enc[1], ans]), strict=True))
    assert abs(f[1, 1] - _expect_dense(cr, HAMS[1], n, pr, cl)) < 1e-12
    h = 1e-6
    for j in range(len(ans_names)):
        d = np.zeros_like(ans)
        d[j] = h
        fd = (ops(enc, ans + d)[0] - ops(enc, ans - d)[0]) / (2 * h)
        assert np.max(np.abs(fd - ga[:, :, j])) < 1e-8, ans_names[j]
    d = np.zeros_like(enc)
    d[:, 0] = h
    fd = (ops(enc + d, ans)[0] - ops(enc - d, ans)[0]) / (2 * h)
    assert np.max(np.abs(fd - ge[:, :, 0])) < 1e-8


def test_non_hermitian_hamiltonian_without_circ_left():
    n = 3
    c = _hea(n, 1)
    terms = Ham([(((0, "X"), (1, "Y")), 0.4 + 0.3j), (((2, "Z"),), -0.2j)])
    ops = Simulator("cpu", n).get_expectation_with_grad(terms, c)
    x = np.linspace(-1, 1, len(ops.ansatz_params_name))
    f, g = ops(x)
    assert abs(f[0, 0] - _expect_dense(c, terms, n, dict(zip(ops.ansatz_params_name, x, strict=True)))) < 1e-12
    h = 1e-6
    for j in range(len(x)):
        d = np.zeros_like(x)
        d[j] = h
        fd = (ops(x + d)[0] - ops(x - d)[0]) / (2 * h)
        assert abs(fd[0, 0] - g[0, 0, j]) < 1e-8


def test_generic_gates_fsim_custom_and_shared_parameters():
    n = 3

    def mat(t):
        return np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]], dtype=complex)

    def diff(t):
        return np.array([[-np.sin(t), -np.cos(t)], [np.cos(t), -np.sin(t)]], dtype=complex)

    custom = gates.gene_univ_parameterized_gate("rot2", mat, diff)
    c = Circuit([gates.H.on(0), gates.H.on(1), gates.FSim("a", {"b": 2.0}).on([0, 1]),
                 custom({"a": -1.0}).on(2, 0), gates.GlobalPhase("b").on(1, 2),
                 gates.SWAPalpha("a").on([2, 0]), gates.Givens({"a": 0.5, "b": 0.5}).on([1, 2])])
    ops = Simulator("cpu", n).get_expectation_with_grad(Ham(HAMS[0].terms[:2]), c)
    x = np.array([0.37, -1.21])
    _, g = ops(x)
    h = 1e-6
    for j in range(2):
        d = np.zeros(2)
        d[j] = h
        fd = (ops(x + d)[0] - ops(x - d)[0]) / (2 * h)
        assert abs(fd[0, 0] - g[0, 0, j]) < 1e-8


def test_gradient_starts_from_the_simulator_state():
    """Like MindQuantum, grad_ops evolves the simulator's current state."""
    sim = Simulator("cpu", 2)
    sim.apply_gate(gates.X.on(1))
    f, g = sim.get_expectation_with_grad(Z1, Circuit([gates.RY("t").on(1)]))(np.array([0.4]))
    assert abs(f[0, 0] + np.cos(0.4)) < 1e-12 and abs(g[0, 0, 0] - np.sin(0.4)) < 1e-12


def test_complex64_gradient():
    ops = Simulator("cpu", 2, dtype=np.complex64).get_expectation_with_grad(Z1, _mq_example())
    a, b = 0.3, 1.1
    _, g = ops(np.array([a, b]))
    assert np.allclose(g[0, 0], [-np.sin(a) * np.cos(b), -np.cos(a) * np.sin(b)], atol=1e-6)


def test_agrees_with_mindquantum():
    mq = pytest.importorskip("mindquantum")
    from mindquantum.core import gates as G
    from mindquantum.core.operators import Hamiltonian, QubitOperator

    n = 4
    ours = _hea(n, 2, enc=True)
    theirs = mq.Circuit()
    for q in range(n):
        theirs += G.RX(f"x{q}").on(q)
    theirs = theirs.as_encoder()
    body = mq.Circuit()
    for layer in range(2):
        for q in range(n):
            body += G.RY(f"y{layer}_{q}").on(q)
            body += G.RZ({f"z{layer}_{q}": 0.7, f"y{layer}_{q}": 0.2}).on(q)
        for q in range(n - 1):
            body += G.X.on(q + 1, q)
        body += G.Rzz(f"zz{layer}").on([0, n - 1])
        body += G.U3(f"y{layer}_0", f"z{layer}_1", 0.3).on(1, 0)
    theirs += body.as_ansatz()

    def mq_ham(terms):
        op = QubitOperator("", 0)
        for t, c in terms.terms:
            op += QubitOperator(" ".join(f"{p}{q}" for q, p in t), c)
        return Hamiltonian(op)

    ops = Simulator("cpu", n).get_expectation_with_grad(HAMS, ours)
    ref = mq.Simulator("mqvector", n).get_expectation_with_grad([mq_ham(t) for t in HAMS], theirs)
    assert ops.encoder_params_name == list(ref.encoder_params_name)
    assert ops.ansatz_params_name == list(ref.ansatz_params_name)
    rng = np.random.default_rng(4)
    enc = rng.uniform(-2, 2, (2, n))
    ans = rng.uniform(-2, 2, len(ops.ansatz_params_name))
    for a, b in zip(ops(enc, ans), ref(enc, ans), strict=True):
        assert np.max(np.abs(a - b)) < 1e-12


def test_no_grad_parameter_gets_zero():
    c = Circuit([gates.RX("a").on(0), gates.RY(ParameterResolver("b").no_grad()).on(0)])
    _, g = Simulator("cpu", 1).get_expectation_with_grad(Ham([(((0, "Z"),), 1.0)]), c)(
        np.array([0.3, 0.4]))
    assert g[0, 0, 1] == 0 and g[0, 0, 0] != 0


def test_errors():
    sim = Simulator("cpu", 2)
    with pytest.raises(ValueError, match="qubit 2"):
        sim.get_expectation_with_grad(Ham([(((2, "Z"),), 1.0)]), _mq_example())
    with pytest.raises(ValueError, match="qubit 3"):
        sim.get_expectation_with_grad(Z1, Circuit([gates.RX("a").on(3)]))
    ops = sim.get_expectation_with_grad(Z1, _mq_example())
    with pytest.raises(ValueError, match=r"\(2,\)"):
        ops(np.array([0.1, 0.2, 0.3]))
    with pytest.raises(ValueError, match="measure"):
        sim.get_expectation_with_grad(Z1, Circuit([gates.RX("a").on(0), gates.Measure("m").on(0)]))


@pytest.mark.parametrize("n_hams", [1, 2])
def test_controlled_rotations_fused_and_generic_sweeps(n_hams):
    """One Hamiltonian takes the fused reverse-step kernels, two the generic path."""
    n = 4
    c = Circuit([gates.H.on(q) for q in range(n)])
    c += gates.RY("a").on(1, 0)
    c += gates.RZ({"b": 1.5}).on(2, [0, 3])
    c += gates.RX("c").on(3)
    c += gates.PhaseShift("a").on(0, 2)
    c += gates.X.on(2, 1)
    c += gates.RY("b").on(0)
    ops = Simulator("cpu", n).get_expectation_with_grad(HAMS[:n_hams], c)
    x = np.array([0.3, -0.8, 1.9])
    _, g = ops(x)
    h = 1e-6
    for j in range(3):
        d = np.zeros(3)
        d[j] = h
        fd = (ops(x + d)[0] - ops(x - d)[0]) / (2 * h)
        assert np.max(np.abs(fd[0] - g[0, :, j])) < 1e-8


def test_sixteen_qubit_gradient_blocked_forward_vs_finite_differences():
    """From 16 qubits the forward pass runs cache-blocked; check against central differences."""
    from quantum import Hamiltonian, QubitOperator

    n = 16
    c = Circuit()
    for layer in range(2):
        for q in range(n):
            c += gates.RY(f"y{layer}_{q}").on(q)
            c += gates.RZ(f"z{layer}_{q}").on(q)
        for q in range(n - 1):
            c += gates.X.on(q + 1, q)
    op = QubitOperator("", 0)
    for i in range(n - 1):
        op += QubitOperator(f"Z{i} Z{i + 1}", 1.0)
    for i in range(n):
        op += QubitOperator(f"X{i}", 0.5)
    ops = Simulator("cpu", n).get_expectation_with_grad(Hamiltonian(op), c)
    x = np.random.default_rng(3).uniform(-np.pi, np.pi, len(ops.ansatz_params_name))
    _, g = ops(x)
    h = 1e-6
    for j in (0, 17, len(x) - 1):
        d = np.zeros_like(x)
        d[j] = h
        fd = (ops(x + d)[0] - ops(x - d)[0]) / (2 * h)
        assert abs(fd[0, 0] - g[0, 0, j]) < 1e-7


def test_sparse_hamiltonian_gradient_matches_term_by_term():
    from quantum import Hamiltonian, QubitOperator

    c = _hea(4, 1)
    op = QubitOperator("X0 Y2", 0.5) + QubitOperator("Z1 Z3", -1.25)
    x = np.linspace(-1, 1, len(c.params_name))
    a = Simulator("cpu", 4).get_expectation_with_grad(Hamiltonian(op), c)(x)
    hs = Hamiltonian(op)
    hs.sparse(4)
    b = Simulator("cpu", 4).get_expectation_with_grad(hs, c)(x)
    for u, v in zip(a, b, strict=True):
        assert np.max(np.abs(u - v)) < 1e-12


def test_batch_threads_on_sixteen_qubits_match_single_thread():
    """Batch items on a thread pool use serial, unblocked kernels; results are identical."""
    n = 16
    c = Circuit([gates.RX("e0").on(0), gates.RX("e1").on(n - 1)]).as_encoder()
    for q in range(n):
        c += gates.RY(f"y{q}").on(q)
    for q in range(n - 1):
        c += gates.X.on(q + 1, q)
    ham = Ham([(((0, "Z"), (n - 1, "Z")), 1.0), (((3, "X"),), 0.5)])
    sim = Simulator("cpu", n)
    enc = np.array([[0.1, 0.2], [0.3, -0.4]])
    ans = np.linspace(-1, 1, n)
    a = sim.get_expectation_with_grad(ham, c, parallel_worker=2)(enc, ans)
    b = [sim.get_expectation_with_grad(ham, c, parallel_worker=1)(enc[i:i + 1], ans)
         for i in range(2)]
    for j in range(3):
        assert np.max(np.abs(a[j] - np.concatenate([x[j] for x in b]))) < 1e-12


@pytest.mark.parametrize("n_hams", [1, 3])
def test_one_call_flat_program_vs_dense_reference(n_hams):
    """Below 16 qubits the whole value+gradient runs in one numba call (``simulator.flat``):
    every encoded form (RX-, RY-like, general and controlled rotations, two-qubit rotations,
    phases with and without controls, fixed dense, diagonal, permutation and X ops) against
    dense-matrix values and their central differences (h = 1e-6, 1e-8)."""
    from quantum.simulator.flat import FlatProgram
    from quantum.simulator.program import Program

    n = 4
    c = Circuit([gates.H.on(0), gates.T.on(1), gates.SWAP.on([1, 3]), gates.X.on(2, 0)])
    c += gates.RX("a").on(0)
    c += gates.RY({"b": 2.0, "a": -0.5}).on(1)
    c += gates.RY("c").on(2, [0, 3])
    c += gates.RZ("b").on(3)
    c += gates.RZ("c").on(1, 2)
    c += gates.Rxx("d").on([0, 2])
    c += gates.Rzz("a").on([1, 3])
    c += gates.PhaseShift("d").on(0)
    c += gates.Y.on(2)
    c += gates.RX("b").on(3, 1)
    names = ["a", "b", "c", "d"]
    sim = Simulator("cpu", n)
    ops = sim.get_expectation_with_grad(HAMS[:n_hams], c)
    x = np.array([0.4, -1.1, 2.3, 0.7])
    f, g = ops(x)
    assert FlatProgram.build(Program.parametric(c, n, names).ops) is not None
    psi0 = np.zeros(1 << n, dtype=complex)
    psi0[0] = 1.0

    def dense_f(vals):
        psi = apply_reference(c, psi0, n, dict(zip(names, vals, strict=True)))
        return np.array([np.vdot(psi, ham_matrix(h.terms, n) @ psi) for h in HAMS[:n_hams]])

    assert np.max(np.abs(f[0] - dense_f(x))) < 1e-12
    h = 1e-6
    for j in range(len(names)):
        d = np.zeros(len(names))
        d[j] = h
        fd = (dense_f(x + d) - dense_f(x - d)) / (2 * h)
        assert np.max(np.abs(fd - g[0, :, j])) < 1e-8


@pytest.mark.parametrize("n", [12, 16])
def test_value_and_gradient_match_mindquantum_one_call_and_blocked(n):
    """12 qubits: the one-call flat program; 16 qubits: the cache-blocked split real/imag
    forward and reverse sweep (RX, RY, RZ, PhaseShift, CNOT runs; CZ and a controlled RY
    fall back to the complex kernels) against MindQuantum, 1e-11."""
    mq = pytest.importorskip("mindquantum")
    from mindquantum.core import gates as G
    from mindquantum.core.operators import Hamiltonian, QubitOperator

    from quantum import Hamiltonian as OurHam
    from quantum import QubitOperator as OurOp

    ours, theirs = Circuit(), mq.Circuit()
    for layer in range(2):
        for q in range(n):
            for our_g, mq_g, p in ((gates.RX, G.RX, "x"), (gates.RY, G.RY, "y"),
                                   (gates.RZ, G.RZ, "z")):
                ours += our_g(f"{p}{layer}_{q}").on(q)
                theirs += mq_g(f"{p}{layer}_{q}").on(q)
        for q in range(n - 1):
            ours += gates.X.on(q + 1, q)
            theirs += G.X.on(q + 1, q)
        ours += gates.PhaseShift(f"p{layer}").on(n - 1)
        theirs += G.PhaseShift(f"p{layer}").on(n - 1)
        ours += gates.Z.on(2, 5)
        theirs += G.Z.on(2, 5)
        ours += gates.RY(f"c{layer}").on(0, n - 1)
        theirs += G.RY(f"c{layer}").on(0, n - 1)
    terms = ([(f"Z{i} Z{i + 1}", 0.5) for i in range(n - 1)] + [(f"X{i}", 0.3) for i in range(n)]
             + [("Y0 Y3", 0.2)])
    our_h, mq_h = OurOp("", 0.0), QubitOperator("", 0.0)
    for t, c in terms:
        our_h += OurOp(t, c)
        mq_h += QubitOperator(t, c)
    ops = Simulator("cpu", n).get_expectation_with_grad(OurHam(our_h), ours)
    ref = mq.Simulator("mqvector", n).get_expectation_with_grad(Hamiltonian(mq_h), theirs)
    assert ops.ansatz_params_name == list(ref.ansatz_params_name)
    x = np.random.default_rng(n).uniform(-2, 2, len(ops.ansatz_params_name))
    for _ in range(2):  # the second call runs the cached plans with new matrices
        for a, b in zip(ops(x), ref(x), strict=True):
            assert np.max(np.abs(a - b)) < 1e-11
        x = x[::-1].copy()
