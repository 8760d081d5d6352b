"""A MindQuantum script ports by changing imports: same circuit, names, matrices, operators."""

import numpy as np
import pytest

mq = pytest.importorskip("mindquantum")


def script(Circuit, G, UN, QubitOperator, add_prefix):
    """Builds a small hardware-efficient ansatz the MindQuantum way."""
    enc = Circuit()
    enc += UN(G.H, 3)
    for i in range(3):
        enc += G.RZ(f"x{i}").on(i)
    enc = enc.as_encoder()
    ans = Circuit()
    for layer in range(2):
        layer_c = Circuit()
        for i in range(3):
            layer_c += G.RY(f"t{i}").on(i)
            layer_c += G.RZ({f"t{i}": 0.5, "phi": -1.0}).on(i)
        layer_c += G.X.on(1, 0)
        layer_c += G.X.on(2, 1)
        layer_c += G.Rzz("g").on([0, 2])
        layer_c += G.U3("u0", "u1", 0.2).on(1, [0])
        ans += add_prefix(layer_c, f"l{layer}")
    circ = enc + ans.as_ansatz()
    circ.rx("extra", 2, [0, 1])
    ham = QubitOperator("Z0 Z1", 0.5) + QubitOperator("X2 Y0", -1.25) + QubitOperator("", 0.1)
    return circ, ham


def test_mindquantum_script_runs_unchanged_on_quantum():
    import mindquantum.core.gates as MG
    from mindquantum.core.circuit import UN as MUN
    from mindquantum.core.circuit import Circuit as MCircuit
    from mindquantum.core.circuit import add_prefix as madd
    from mindquantum.core.operators import QubitOperator as MQO

    from quantum import UN, Circuit, QubitOperator, add_prefix, gates

    theirs, mham = script(MCircuit, MG, MUN, MQO, madd)
    ours, ham = script(Circuit, gates, UN, QubitOperator, add_prefix)
    assert ours.params_name == list(theirs.params_name)
    assert ours.encoder_params_name == list(theirs.encoder_params_name)
    assert ours.ansatz_params_name == list(theirs.ansatz_params_name)
    assert ours.n_qubits == theirs.n_qubits and len(ours) == len(theirs)
    rng = np.random.default_rng(0)
    vals = {n: float(rng.uniform(-np.pi, np.pi)) for n in ours.params_name}
    ref = np.asarray(theirs.matrix(pr=vals))
    np.testing.assert_allclose(ours.matrix(vals), ref, atol=1e-12)
    np.testing.assert_allclose(
        ours.dagger().matrix(vals), np.asarray(theirs.hermitian().matrix(pr=vals)), atol=1e-12
    )
    np.testing.assert_allclose(
        ham.matrix(3, sparse=False), mham.matrix(3).toarray(), atol=1e-14
    )
    assert ours.depth() == theirs.depth()
