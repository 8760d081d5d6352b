"""Circuit: composition, parameters, dagger, matrix, depth, drawing, builders."""

import numpy as np
import pytest

from quantum import UN, Circuit, ParameterResolver, add_prefix, change_param_name, gates
from quantum.circuit import apply, controlled, gate_unitary
from quantum.testing import random_circuit

try:
    import mindquantum as mq
    import mindquantum.core.gates as mqg
except Exception:  # pragma: no cover
    mq = None

try:
    import qiskit
except Exception:  # pragma: no cover
    qiskit = None


def _bell_like():
    c = Circuit()
    c += gates.H.on(0)
    c += gates.RX("a").on(1)
    c += gates.X.on(1, 0)
    return c


def test_composition_and_list_behaviour():
    c = _bell_like()
    assert len(c) == 3 and c.n_qubits == 2 and c[0] == gates.H.on(0)
    d = c + gates.RY({"b": 2}).on(2)
    assert len(d) == 4 and len(c) == 3 and d.n_qubits == 3
    e = gates.Z.on(0) + c
    assert isinstance(e, Circuit) and e[0] == gates.Z.on(0)
    r = c * 3
    assert len(r) == 9 and 3 * c == r and 2 * c != r
    assert isinstance(c[1:], Circuit) and len(c[1:]) == 2
    c2 = Circuit([c, gates.Y.on(1)])
    assert len(c2) == 4
    with pytest.raises(ValueError, match="not placed"):
        Circuit().append(gates.X)
    with pytest.raises(TypeError, match="must be a gate"):
        Circuit([1, 2])
    with pytest.raises(TypeError):
        c * 1.5


def test_parameter_names_by_kind_in_order_of_first_appearance():
    c = Circuit()
    c += gates.RX({"x1": 1.0, "x0": 2.0}).on(0)
    c += gates.RY("w1").on(1)
    c += gates.U3("w0", "x0", "w1").on(0)
    enc = Circuit([gates.RZ("e0").on(0), gates.RZ("e1").on(1)]).as_encoder()
    c = enc + c
    assert c.params_name == ["e0", "e1", "x1", "x0", "w1", "w0"]
    assert c.encoder_params_name == ["e0", "e1"]
    assert c.ansatz_params_name == ["x1", "x0", "w1", "w0"]
    c.as_encoder()
    assert c.ansatz_params_name == [] and len(c.encoder_params_name) == 6
    c.as_ansatz()
    c[0].params[0].no_grad()
    assert "e0" not in c.requires_grad_params_name
    bad = Circuit([gates.RX("p").on(0), gates.RY("p").on(1).as_encoder()])
    with pytest.raises(ValueError, match="'p' is tagged both encoder and ansatz"):
        _ = bad.params_name


def test_apply_value_binds_parameters():
    c = random_circuit(3, 30, seed=1)
    vals = {"p0": 0.1, "p1": -0.4, "p2": 1.3, "p3": 0.7}
    bound = c.apply_value(vals)
    assert not bound.parameterized and c.parameterized
    np.testing.assert_allclose(bound.matrix(), c.matrix(vals), atol=1e-12)
    part = c.apply_value({"p0": 0.1})
    assert "p0" not in part.params_name
    np.testing.assert_allclose(part.matrix(vals), c.matrix(vals), atol=1e-12)


def test_dagger_is_inverse():
    c = random_circuit(4, 60, seed=2, ctrl_rate=0.5)
    vals = {"p0": 0.3, "p1": -1.1, "p2": 2.0, "p3": 0.5}
    u = c.matrix(vals)
    np.testing.assert_allclose(c.dagger().matrix(vals), u.conj().T, atol=1e-12)
    np.testing.assert_allclose((c + c.dagger()).matrix(vals), np.eye(16), atol=1e-12)
    with pytest.raises(ValueError, match="non-unitary"):
        Circuit([gates.Measure().on(0)]).dagger()


def test_matrix_equals_product_of_kron_built_gates():
    n = 4
    c = random_circuit(n, 40, seed=3, ctrl_rate=0.5)
    vals = {"p0": 0.3, "p1": -1.1, "p2": 2.0, "p3": 0.5}
    ref = np.eye(2**n, dtype=complex)
    for g in c:
        ref = gate_unitary(g, n, vals) @ ref
    np.testing.assert_allclose(c.matrix(vals), ref, atol=1e-12)
    np.testing.assert_allclose(c.matrix(vals, method="kron"), ref, atol=1e-12)
    with pytest.raises(ValueError, match="method"):
        c.matrix(vals, method="nope")


def test_apply_relabels_qubits():
    c = Circuit([gates.X.on(1, 0), gates.RZ("a").on(2)])
    d = apply(c, [3, 0, 1])
    assert [(g.obj_qubits, g.ctrl_qubits) for g in d] == [([0], [3]), ([1], [])]
    with pytest.raises(ValueError, match="uses 3 qubits"):
        apply(c, [0, 1])


@pytest.mark.skipif(mq is None, reason="mindquantum not installed")
def test_random_circuits_equal_mindquantum():
    from mindquantum.core.circuit import Circuit as MQC

    def to_mq(g):
        name = type(g).__name__.replace("Gate", "")
        if isinstance(g, gates.ParameterGate):
            args = [p.combination(vals) for p in g.params]
            mg = getattr(mqg, name)(*args)
        elif isinstance(g, gates.CZGate):
            mg = mqg.Z
        elif isinstance(g, gates.CNOTGate):
            mg = mqg.X
        else:
            mg = getattr(mqg, name)
            if getattr(g, "dagger", False):
                mg = mg.hermitian()
        return mg.on(g.obj_qubits, g.ctrl_qubits or None)

    vals = {"p0": 0.3, "p1": -1.1, "p2": 2.0, "p3": 0.5}
    for seed in range(3):
        c = random_circuit(5, 80, seed=seed, ctrl_rate=0.4)
        ref = np.asarray(MQC([to_mq(g) for g in c]).matrix())
        np.testing.assert_allclose(c.matrix(vals, n_qubits=5), ref, atol=1e-11)


def test_depth():
    c = Circuit([gates.H.on(0), gates.H.on(1), gates.X.on(1, 0), gates.H.on(2)])
    assert c.depth() == 2
    assert c.depth(with_single=False) == 1
    c.barrier()
    c += gates.H.on(2)
    assert c.depth() == 3  # the barrier aligns q2 with the CNOT layer


@pytest.mark.skipif(qiskit is None, reason="qiskit not installed")
def test_depth_equals_qiskit():
    from qiskit import QuantumCircuit

    for seed in range(3):
        c = random_circuit(5, 40, seed=seed, ctrl_rate=0.4)
        qc = QuantumCircuit(5)
        for g in c:
            qc.unitary(np.eye(2 ** len(g.obj_qubits + g.ctrl_qubits)), g.obj_qubits + g.ctrl_qubits)
        assert c.depth() == qc.depth()


def test_drawing_has_one_row_per_qubit():
    c = _bell_like()
    c += gates.SWAP.on([0, 2])
    c += gates.Measure().on(2)
    text = c.draw()
    rows = [r for r in text.splitlines() if r.startswith("q")]
    assert len(rows) == 3
    assert "H" in rows[0] and "RX(a)" in rows[1] and "●" in rows[0] and "M(q2)" in rows[2]
    assert str(c) == text
    ascii_text = c.draw(unicode=False)
    assert all(ord(ch) < 128 for ch in ascii_text)
    assert Circuit().draw() == ""


def test_summary_counts_gates_and_parameters():
    c = _bell_like() + _bell_like()
    text = c.summary(show=False)
    assert "total gates : 6" in text and "RX x2" in text and "ansatz      : a" in text


def test_builders_UN_prefix_rename_controlled():
    c = UN(gates.H, 3)
    assert [g.obj_qubits for g in c] == [[0], [1], [2]]
    c = UN(gates.X, [1, 3], [0, 2])
    assert [(g.obj_qubits, g.ctrl_qubits) for g in c] == [([1], [0]), ([3], [2])]
    a = Circuit([gates.RX({"a": 2.0}).on(0), gates.RY("b").on(1).as_encoder()])
    p = add_prefix(a, "l0")
    assert p.params_name == ["l0_a", "l0_b"] and p.encoder_params_name == ["l0_b"]
    r = change_param_name(a, {"a": "z"})
    assert r.params_name == ["z", "b"] and r[0].params[0] == ParameterResolver({"z": 2.0})
    with pytest.raises(KeyError, match="'q'"):
        change_param_name(a, {"q": "z"})
    cc = controlled(_bell_like())(3)
    assert all(3 in g.ctrl_qubits for g in cc)
    b = Circuit().h(0).rx("t", 1, 0).u3(0.1, 0.2, "u", 2).fsim("f", 0.2, [0, 1]).measure(0)
    assert len(b) == 5 and b.params_name == ["t", "u", "f"] and b.has_measure_gate


def test_matrix_width_limits():
    with pytest.raises(ValueError, match="limited to 12 qubits"):
        Circuit([gates.X.on(12)]).matrix()
    with pytest.raises(ValueError, match="non-unitary"):
        Circuit([gates.Measure().on(0)]).matrix()


def test_list_editing_and_flags():
    c = Circuit().h(0).x(1, 0).barrier().rz("a", 1)
    c.insert(0, gates.Z.on(2))
    assert c[0] == gates.Z.on(2) and len(c) == 5
    assert c.pop() == gates.RZ("a").on(1)
    c[0] = gates.Y.on(2)
    del c[0]
    assert len(c) == 3 and len(c.remove_barrier()) == 2
    c.measure_all()
    assert [g.key for g in c if isinstance(g, gates.MeasureGate)] == ["q0", "q1"]
    assert len(c.remove_measure()) == 3
    d = Circuit().rx("a", 0).ry("b", 1).as_encoder()
    d.no_grad()
    assert d.requires_grad_params_name == []
    d.requires_grad()
    pr = d.parameter_resolver()
    assert pr.encoder_parameters == {"a", "b"} and set(pr.keys()) == {"a", "b"}
    e = d.copy()
    e[0].params[0].as_ansatz()
    assert d.encoder_params_name == ["a", "b"]  # the copy is independent


def test_every_builder_matches_the_gate_it_names():
    c = (
        Circuit()
        .s(0).s(0, hermitian=True).t(1).t(1, hermitian=True).sx(0).sx(0, hermitian=True)
        .y(0).z(1).iswap([0, 1]).swap([0, 1]).rxx("a", [0, 1]).ryy("a", [0, 1])
        .rzz("a", [0, 1]).rxy("a", [0, 1]).rxz("a", [0, 1]).ryz("a", [0, 1])
        .phase_shift("a", 0).global_phase("a", 0, 1).givens("a", [0, 1])
        .swap_alpha("a", [0, 1]).un(gates.H, [0, 1])
    )
    ref = Circuit([
        gates.S.on(0), gates.Sdag.on(0), gates.T.on(1), gates.Tdag.on(1), gates.SX.on(0),
        gates.SXdag.on(0), gates.Y.on(0), gates.Z.on(1), gates.ISWAP.on([0, 1]),
        gates.SWAP.on([0, 1]), gates.Rxx("a").on([0, 1]), gates.Ryy("a").on([0, 1]),
        gates.Rzz("a").on([0, 1]), gates.Rxy("a").on([0, 1]), gates.Rxz("a").on([0, 1]),
        gates.Ryz("a").on([0, 1]), gates.PhaseShift("a").on(0), gates.GlobalPhase("a").on(0, 1),
        gates.Givens("a").on([0, 1]), gates.SWAPalpha("a").on([0, 1]), gates.H.on(0),
        gates.H.on(1),
    ])
    assert c == ref


def test_suffix_and_dagger_helpers():
    from quantum import add_suffix, dagger

    c = Circuit([gates.RX("a").on(0), gates.X.on(1, 0)])
    assert add_suffix(c, "k").params_name == ["a_k"]
    vals = {"a": 0.4}
    np.testing.assert_allclose(dagger(c).matrix(vals), c.matrix(vals).conj().T, atol=1e-14)
    np.testing.assert_allclose(
        dagger(gates.S.on(0)).matrix(), gates.Sdag.matrix(), atol=1e-14
    )
    cc = controlled(gates.H.on(0))([1, 2])
    assert cc[0].ctrl_qubits == [1, 2]


@pytest.mark.skipif(mq is None, reason="mindquantum not installed")
def test_get_qs_equals_mindquantum():
    from mindquantum.core.circuit import Circuit as MQC

    c = Circuit([gates.H.on(0), gates.X.on(1, 0), gates.RY("a").on(2), gates.S.on(1, 2)])
    m = MQC([mqg.H.on(0), mqg.X.on(1, 0), mqg.RY("a").on(2), mqg.S.on(1, 2)])
    np.testing.assert_allclose(c.get_qs(pr={"a": 0.3}), m.get_qs(pr={"a": 0.3}), atol=1e-14)
    assert c.get_qs(pr={"a": 0.3}, ket=True) == m.get_qs(pr={"a": 0.3}, ket=True)
    c2 = Circuit([gates.RX(0.7).on(0), gates.T.on(0), gates.RY(1.1).on(1), gates.Z.on(1)])
    m2 = MQC([mqg.RX(0.7).on(0), mqg.T.on(0), mqg.RY(1.1).on(1), mqg.Z.on(1)])
    assert c2.get_qs(ket=True) == m2.get_qs(ket=True)
    with pytest.raises(ValueError, match="non-unitary"):
        Circuit([gates.Measure().on(0)]).get_qs()
