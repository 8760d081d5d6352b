"""Gates: the shared checker, MindQuantum's matrices, controls, and placement errors."""

import numpy as np
import pytest

from quantum import Circuit, ParameterResolver, gates
from quantum.circuit import apply_gate_dense, gate_unitary
from quantum.testing import check_gate, gate_zoo

try:
    import mindquantum.core.gates as mqg
    from mindquantum.core.circuit import Circuit as MQCircuit
except Exception:  # pragma: no cover - peer not installed
    mqg = None

needs_mq = pytest.mark.skipif(mqg is None, reason="mindquantum not installed")

ZOO = gate_zoo()


@pytest.mark.parametrize("gate", ZOO, ids=[g.name + str(i) for i, g in enumerate(ZOO)])
def test_every_gate_passes_check_gate(gate):
    check_gate(gate)


def test_custom_gates_pass_check_gate():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(4, 4)) + 1j * rng.normal(size=(4, 4))
    q, _ = np.linalg.qr(a)
    check_gate(gates.UnivMathGate("U", q))

    gen = lambda t: np.array([[np.cos(t), -1j * np.sin(t)], [-1j * np.sin(t), np.cos(t)]])
    dgen = lambda t: np.array([[-np.sin(t), -1j * np.cos(t)], [-1j * np.cos(t), -np.sin(t)]])
    cls = gates.gene_univ_parameterized_gate("myrx", gen, dgen)
    check_gate(cls("a"))
    check_gate(cls({"a": 2.0, "b": 0.5}))


def test_check_gate_catches_a_wrong_derivative():
    class BadRX(gates.RX):
        def diff_matrices_from_values(self, theta):
            return [2 * d for d in super().diff_matrices_from_values(theta)]

    with pytest.raises(AssertionError, match="finite difference"):
        check_gate(BadRX("a"))


def _mq_pairs():
    t, p, l = 0.37, -1.21, 2.05
    G = gates
    return [
        (G.I, "I"), (G.X, "X"), (G.Y, "Y"), (G.Z, "Z"), (G.H, "H"), (G.S, "S"), (G.T, "T"),
        (G.SX, "SX"), (G.SWAP, "SWAP"), (G.ISWAP, "ISWAP"),
        (G.Sdag, ("S", "dag")), (G.Tdag, ("T", "dag")), (G.SXdag, ("SX", "dag")),
        (G.ISWAPdag, ("ISWAP", "dag")),
        (G.RX(t), ("RX", t)), (G.RY(t), ("RY", t)), (G.RZ(t), ("RZ", t)),
        (G.PhaseShift(t), ("PhaseShift", t)), (G.GlobalPhase(t), ("GlobalPhase", t)),
        (G.Rxx(t), ("Rxx", t)), (G.Ryy(t), ("Ryy", t)), (G.Rzz(t), ("Rzz", t)),
        (G.Rxy(t), ("Rxy", t)), (G.Rxz(t), ("Rxz", t)), (G.Ryz(t), ("Ryz", t)),
        (G.Givens(t), ("Givens", t)), (G.SWAPalpha(t), ("SWAPalpha", t)),
        (G.U3(t, p, l), ("U3", t, p, l)), (G.FSim(t, p), ("FSim", t, p)),
    ]


def _mq_gate(spec):
    if isinstance(spec, str):
        return getattr(mqg, spec)
    name, *args = spec
    if args == ["dag"]:
        return getattr(mqg, name).hermitian()
    return getattr(mqg, name)(*args)


@needs_mq
@pytest.mark.parametrize("ours, spec", _mq_pairs(), ids=[str(s) for _, s in _mq_pairs()])
def test_matrix_equals_mindquantum(ours, spec):
    theirs = _mq_gate(spec)
    np.testing.assert_allclose(ours.matrix(), np.asarray(theirs.matrix()), atol=1e-14)
    if isinstance(ours, gates.ParameterGate):
        # daggers and derivatives too
        np.testing.assert_allclose(
            ours.hermitian().matrix(), np.asarray(theirs.hermitian().matrix()), atol=1e-14
        )


@needs_mq
def test_parameter_derivatives_equal_mindquantum():
    vals = {"a": 0.31, "b": -0.77, "c": 1.4}
    pairs = [
        (gates.RX({"a": 2.0}), mqg.RX({"a": 2.0})),
        (gates.Rxy("a"), mqg.Rxy("a")),
        (gates.SWAPalpha("a"), mqg.SWAPalpha("a")),
        (gates.Givens("a"), mqg.Givens("a")),
        (gates.GlobalPhase("a"), mqg.GlobalPhase("a")),
        (gates.PhaseShift("a"), mqg.PhaseShift("a")),
    ]
    for ours, theirs in pairs:
        for name in ours.params_name:
            np.testing.assert_allclose(
                ours.diff_matrix(vals, name),
                np.asarray(theirs.diff_matrix(vals, name)),
                atol=1e-12,
                err_msg=f"{ours} d/d{name}",
            )


@needs_mq
def test_controlled_gates_equal_mindquantum_circuit_matrix():
    rng = np.random.default_rng(3)
    for ours, spec in _mq_pairs():
        k = ours.n_qubits
        perm = [int(q) for q in rng.permutation(k + 2)]
        obj, ctrl = perm[:k], perm[k:]
        ours_c = Circuit(ours.on(obj, ctrl))
        theirs_c = MQCircuit([_mq_gate(spec).on(obj, ctrl)])
        mine = ours_c.matrix(n_qubits=k + 2)
        ref = np.asarray(theirs_c.matrix())
        np.testing.assert_allclose(mine, ref, atol=1e-13, err_msg=str(ours))
        np.testing.assert_allclose(gate_unitary(ours_c[0], k + 2), ref, atol=1e-13)


@needs_mq
def test_parameterized_user_gate_equals_mindquantum():
    from mindquantum.core.gates import gene_univ_parameterized_gate as mq_gene

    gen = lambda t: np.array([[np.cos(t / 2), -np.sin(t / 2)], [np.sin(t / 2), np.cos(t / 2)]], dtype=np.complex128)
    dgen = lambda t: 0.5 * np.array([[-np.sin(t / 2), -np.cos(t / 2)], [np.cos(t / 2), -np.sin(t / 2)]], dtype=np.complex128)
    ours = gates.gene_univ_parameterized_gate("ry2", gen, dgen)({"a": 1.5})
    theirs = mq_gene("ry2", gen, dgen)({"a": 1.5})
    pr = {"a": 0.42}
    np.testing.assert_allclose(ours.matrix(pr), theirs.matrix(pr), atol=1e-14)
    np.testing.assert_allclose(ours.diff_matrix(pr, "a"), theirs.diff_matrix(pr, "a"), atol=1e-14)
    np.testing.assert_allclose(ours.hermitian().matrix(pr), theirs.hermitian().matrix(pr), atol=1e-14)


def test_hermitian_names_and_params():
    assert gates.S.hermitian().name == "S†"
    assert gates.S.hermitian().hermitian().name == "S"
    assert gates.X.hermitian().name == "X"
    u = gates.U3("a", "b", "c").hermitian()
    assert [p.expression() for p in u.params] == ["-a", "-c", "-b"]
    assert gates.RX({"a": 2}, ).hermitian().coeff == ParameterResolver({"a": -2})


def test_on_places_and_validates():
    g = gates.RX("a").on(2, [0, 1])
    assert g.obj_qubits == [2] and g.ctrl_qubits == [0, 1]
    assert g.n_qubits == 1 and g.parameterized
    assert not gates.RX(0.3).parameterized
    assert gates.CNOT.on(1, 0).ctrl_qubits == [0]
    assert gates.X.on(np.int64(3)).obj_qubits == [3]


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: gates.X.on(-1), "negative"),
        (lambda: gates.X.on(0, -2), "negative"),
        (lambda: gates.X.on(1, 1), "both as target and as control"),
        (lambda: gates.RX("a").on(0, [1, 0]), "both as target and as control"),
        (lambda: gates.SWAP.on([1, 1]), "duplicated target"),
        (lambda: gates.X.on(0, [1, 1]), "duplicated control"),
        (lambda: gates.SWAP.on(0), "acts on 2 qubit"),
        (lambda: gates.RX("a").on([0, 1]), "acts on 1 qubit"),
        (lambda: gates.CNOT.on(1), "needs a control"),
        (lambda: gates.UnivMathGate("bad", [[1, 1], [0, 1]]), "bad: matrix is not unitary"),
        (lambda: gates.UnivMathGate("odd", np.eye(3)), "2\\*\\*k"),
        (lambda: gates.RX("a", "b"), "takes 1 parameter"),
        (lambda: gates.Measure().on(0, 1), "cannot have control"),
    ],
)
def test_placement_errors(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_non_integer_qubit_is_a_type_error():
    with pytest.raises(TypeError, match="int"):
        gates.X.on(1.0)
    with pytest.raises(TypeError, match="int"):
        gates.X.on(True)


def test_missing_parameter_value_names_the_parameter():
    g = gates.RX({"alpha": 1.0, "beta": 2.0}).on(0)
    with pytest.raises(ValueError, match="'beta'"):
        g.matrix({"alpha": 0.1})
    with pytest.raises(ValueError, match="'alpha'"):
        g.matrix()


def test_bad_user_parameterized_gate_is_rejected():
    gen = lambda t: np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]])
    with pytest.raises(ValueError, match="finite difference"):
        gates.gene_univ_parameterized_gate("g", gen, lambda t: gen(t))
    with pytest.raises(ValueError, match="not unitary"):
        gates.gene_univ_parameterized_gate("h", lambda t: 2 * gen(t), lambda t: gen(t))


def test_measure_and_barrier_have_no_matrix():
    m = gates.Measure("k").on(3)
    b = gates.BARRIER.on([0, 1, 2])
    assert isinstance(m, gates.MeasureGate) and m.key == "k" and m.obj_qubits == [3]
    assert gates.Measure().on(2).key == "q2"
    assert isinstance(b, gates.BarrierGate) and b.obj_qubits == [0, 1, 2]
    assert not hasattr(m, "matrix") and not hasattr(b, "matrix")


def test_hints_match_matrices():
    for g in ZOO:
        vals = {n: 0.7 for n in getattr(g, "params_name", [])}
        m = g.matrix(vals)
        if g.is_diagonal:
            assert np.allclose(m, np.diag(np.diag(m)))
    assert gates.RZ("a").is_diagonal and gates.Rzz("a").is_diagonal and gates.Z.is_diagonal
    assert gates.X.is_permutation and gates.SWAP.is_permutation and not gates.H.is_permutation


def test_tensor_application_is_linear_on_random_states():
    # apply_gate_dense on a state equals the kron-built matrix times the state
    rng = np.random.default_rng(7)
    n = 5
    for g in ZOO:
        k = g.n_qubits
        perm = [int(q) for q in rng.permutation(n)]
        placed = g.on(perm[:k], perm[k : k + 2])
        vals = {p: rng.normal() for p in getattr(g, "params_name", [])}
        psi = rng.normal(size=2**n) + 1j * rng.normal(size=2**n)
        ref = gate_unitary(placed, n, vals) @ psi
        out = apply_gate_dense(psi.copy(), placed, n, vals)
        np.testing.assert_allclose(out, ref, atol=1e-12)


def test_qubit_out_of_range_for_register():
    with pytest.raises(ValueError, match="qubit index 3 out of range for 3 qubit"):
        gate_unitary(gates.X.on(3), 3)
    with pytest.raises(ValueError, match="out of range"):
        Circuit([gates.X.on(0, 4)]).matrix(n_qubits=3)


@needs_mq
def test_cnot_and_cz_equal_mindquantum():
    ours = Circuit([gates.CNOT.on(1, 0), gates.CZ.on(2, 1), gates.CNOT.on(0, [1, 2])]).matrix()
    theirs = MQCircuit([mqg.CNOT.on(1, 0), mqg.Z.on(2, 1), mqg.X.on(0, [1, 2])]).matrix()
    np.testing.assert_allclose(ours, np.asarray(theirs), atol=1e-14)
