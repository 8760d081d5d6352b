"""Quantum layers: values against dense matrices and MindQuantum, gradients against central
differences, batch shapes, once-differentiability, re-entrancy.

Tolerances (measured): values vs dense 1e-12 (seen ~1e-15); layer Jacobians vs MindQuantum's
``get_expectation_with_grad`` (what ``MQLayer`` wraps) 1e-10 (seen ~1e-15); gradients vs
central differences (h = 1e-6) 1e-7 (seen ~1e-10).
"""

import numpy as np
import pytest

import core_autodiff as ad
from quantum import (
    Circuit,
    FidelityLayer,
    Hamiltonian,
    ProbabilityLayer,
    QuantumLayer,
    QubitOperator,
    Simulator,
    gates,
)
from quantum.layers import MQAnsatzOnlyLayer, MQLayer, MQN2Layer, projector_hamiltonians
from tests.conftest import has_real_gpu
from tests.quantum.test_simulator_reference import apply_reference, ham_matrix

rng = np.random.default_rng(7)


def build(Circuit, G, QubitOperator):
    """A 3-qubit encoder + ansatz circuit and two observables, written once for both libraries."""
    enc = Circuit()
    for q in range(3):
        enc += G.H.on(q)
        enc += G.RZ(f"x{q}").on(q)
    enc += G.RY({"x0": 0.5, "x2": -1.0}).on(1)
    enc = enc.as_encoder()
    ans = Circuit()
    for layer in range(2):
        for q in range(3):
            ans += G.RY(f"a{layer}{q}").on(q)
        ans += G.X.on(1, 0)
        ans += G.X.on(2, 1)
        ans += G.Rzz(f"zz{layer}").on([0, 2])
        ans += G.RX({f"a{layer}0": 0.3, "shared": 1.0}).on(2, 1)
    circ = enc + ans.as_ansatz()
    hams = [QubitOperator("Z0 Z1", 0.5) + QubitOperator("X2", -0.7),
            QubitOperator("Y1 Y2", 1.0) + QubitOperator("", 0.2)]
    return circ, hams


def _layer(**kw):
    circ, hams = build(Circuit, gates, QubitOperator)
    return QuantumLayer(circ, [Hamiltonian(h) for h in hams], weight="uniform", seed=3, **kw), \
        circ, hams


def _dense_expect(circ, ham, pr, n):
    zero = np.zeros(1 << n, dtype=complex)
    zero[0] = 1
    psi = apply_reference(circ, zero, n, pr)
    return (psi.conj() @ ham_matrix(list(ham.terms.items()), n) @ psi).real


def _pr(layer, x_row):
    return {**dict(zip(layer.encoder_params_name, x_row, strict=True)),
            **dict(zip(layer.ansatz_params_name, layer.weight.data, strict=True))}


def test_values_and_shapes_against_dense_reference():
    layer, circ, hams = _layer()
    assert layer.encoder_params_name == ["x0", "x1", "x2"]
    assert layer.n_ans == len(layer.weight.data) == 9
    x = rng.uniform(-2, 2, (5, 3))
    y = layer(ad.tensor(x))
    assert y.shape == (5, 2) and y.dtype == np.float64
    for b in range(5):
        for h, ham in enumerate(hams):
            ref = _dense_expect(circ, ham, _pr(layer, x[b]), 3)
            assert abs(y.data[b, h] - ref) < 1e-12
    # one sample as a 1-D input, and numpy input
    y1 = layer(x[2])
    assert y1.shape == (2,)
    np.testing.assert_allclose(y1.data, y.data[2], atol=1e-14)
    # float32 input is accepted and gives the same values
    np.testing.assert_allclose(layer(ad.tensor(x.astype(np.float32))).data,
                               layer(ad.tensor(x.astype(np.float32).astype(np.float64))).data,
                               atol=1e-12)


def test_gradients_equal_central_differences():
    layer, _, _ = _layer()
    x = rng.uniform(-2, 2, (4, 3))
    w = layer.weight.data.copy()
    ad.testing.check_primitive(lambda x, w: layer._prim(x, w), [x, w], once_differentiable=True,
                               rtol=1e-7, atol=1e-9)
    # the public path: loss.backward() fills x.grad and layer.weight.grad
    u = rng.normal(size=(4, 2))
    xt = ad.tensor(x, requires_grad=True)
    (layer(xt) * ad.tensor(u)).sum().backward()

    def loss(xv, wv):
        layer.weight.data = wv
        with ad.no_grad():
            return float((layer(ad.tensor(xv)).data * u).sum())

    h = 1e-6
    gx = np.zeros_like(x)
    for idx in np.ndindex(*x.shape):
        e = np.zeros_like(x)
        e[idx] = h
        gx[idx] = (loss(x + e, w) - loss(x - e, w)) / (2 * h)
    gw = np.array([(loss(x, w + h * e) - loss(x, w - h * e)) / (2 * h) for e in np.eye(w.size)])
    layer.weight.data = w
    np.testing.assert_allclose(xt.grad.data, gx, atol=1e-7)
    np.testing.assert_allclose(layer.weight.grad.data, gw, atol=1e-7)


def test_second_derivative_raises():
    layer, _, _ = _layer()
    x = rng.uniform(-1, 1, (2, 3))

    def first(x):
        return ad.grad(lambda x: layer(x).sum())(x).sum()

    with pytest.raises(RuntimeError, match="once-differentiable"):
        ad.grad(first)(x)
    with pytest.raises(RuntimeError, match="once-differentiable"):
        ad.grad(lambda w: ad.grad(lambda v: layer._prim(ad.tensor(x), v).sum())(w).sum())(
            layer.weight.data)


def test_no_results_kept_on_the_layer_and_calls_are_reentrant():
    layer, _, _ = _layer()
    before = {k: id(v) for k, v in vars(layer).items()}
    x1 = ad.tensor(rng.uniform(-1, 1, (3, 3)), requires_grad=True)
    x2 = ad.tensor(rng.uniform(-1, 1, (2, 3)), requires_grad=True)
    y1 = layer(x1)
    y2 = layer(x2)
    assert {k: id(v) for k, v in vars(layer).items()} == before
    g1 = ad.grad(lambda x: layer(x).sum())(x1.data).data
    g2 = ad.grad(lambda x: layer(x).sum())(x2.data).data
    y2.sum().backward()
    y1.sum().backward()   # the older call still has its own Jacobian
    np.testing.assert_allclose(x1.grad.data, g1, atol=1e-14)
    np.testing.assert_allclose(x2.grad.data, g2, atol=1e-14)


def test_against_mindquantum_grad_ops():
    mq = pytest.importorskip("mindquantum")
    import mindquantum.core.gates as MG
    from mindquantum.core.circuit import Circuit as MC
    from mindquantum.core.operators import Hamiltonian as MH
    from mindquantum.core.operators import QubitOperator as MQO

    layer, _, _ = _layer()
    mcirc, mhams = build(MC, MG, MQO)
    mops = mq.simulator.Simulator("mqvector", 3).get_expectation_with_grad(
        [MH(h) for h in mhams], mcirc)
    assert list(mops.encoder_params_name) == layer.encoder_params_name
    assert list(mops.ansatz_params_name) == layer.ansatz_params_name
    x = rng.uniform(-2, 2, (4, 3))
    f, g_enc, g_ans = mops(x, layer.weight.data)
    y = layer(ad.tensor(x))
    np.testing.assert_allclose(y.data, f.real, atol=1e-10)
    for h in range(2):
        xt = ad.tensor(x, requires_grad=True)
        layer.zero_grad()
        layer(xt)[:, h].sum().backward()
        np.testing.assert_allclose(xt.grad.data, g_enc[:, h].real, atol=1e-10)
        np.testing.assert_allclose(layer.weight.grad.data, g_ans[:, h].real.sum(0), atol=1e-10)
    # MindQuantum-style construction from a gradient operator gives the same layer
    ops = Simulator("cpu", 3).get_expectation_with_grad(layer.hams, layer.circuit)
    mql = MQLayer(ops, weight=layer.weight.data)
    np.testing.assert_allclose(mql(ad.tensor(x)).data, f.real, atol=1e-10)


def test_ansatz_only_and_encoder_only_circuits():
    circ, hams = build(Circuit, gates, QubitOperator)
    x = np.array([0.3, -0.4, 1.2])
    fixed = circ.apply_value(dict(zip(["x0", "x1", "x2"], x, strict=True)))
    layer = QuantumLayer(fixed, hams, weight="uniform", seed=1)   # ansatz only
    assert layer.n_enc == 0
    y = layer()
    assert y.shape == (2,)
    full = QuantumLayer(circ, hams, weight=layer.weight.data)
    np.testing.assert_allclose(y.data, full(x).data, atol=1e-12)
    y.sum().backward()
    assert layer.weight.grad.shape == (9,)
    ad.testing.check_grads(lambda w: layer._prim(ad.tensor(np.zeros((1, 0))), w),
                           [layer.weight.data], order=1)
    mq_like = MQAnsatzOnlyLayer(
        Simulator("cpu", 3).get_expectation_with_grad([Hamiltonian(h) for h in hams], fixed),
        weight=layer.weight.data)
    np.testing.assert_allclose(mq_like().data, y.data, atol=1e-14)
    # encoder only: no weight parameter, gradients to the input
    enc_only = QuantumLayer(circ.apply_value(dict(zip(full.ansatz_params_name,
                                                      full.weight.data, strict=True))), hams)
    assert enc_only.parameters() == []
    np.testing.assert_allclose(enc_only(x).data, y.data, atol=1e-12)
    ad.testing.check_grads(lambda x: enc_only(x), [rng.uniform(-1, 1, (3, 3))], order=1)
    with pytest.raises(ValueError, match="no encoder parameter"):
        layer(np.ones((2, 3)))


def test_bad_input_names_the_encoder_parameters():
    layer, _, _ = _layer()
    with pytest.raises(ValueError, match=r"\(batch, 3\).*\['x0', 'x1', 'x2'\].*\(4, 2\)"):
        layer(np.ones((4, 2)))
    with pytest.raises(ValueError, match="9 ansatz parameters"):
        QuantumLayer(layer.circuit, layer.hams, weight=np.zeros(3))
    named = dict(zip(layer.ansatz_params_name, layer.weight.data, strict=True))
    same = QuantumLayer(layer.circuit, layer.hams, weight=named)
    np.testing.assert_array_equal(same.weight.data, layer.weight.data)
    with pytest.raises(ValueError, match=r"missing ansatz parameters \['shared'\]"):
        QuantumLayer(layer.circuit, layer.hams,
                     weight={k: v for k, v in named.items() if k != "shared"})
    with pytest.raises(TypeError, match=r"hams\[0\]"):
        QuantumLayer(layer.circuit, ["Z0"])


def _marginals(psi, qubits, n):
    p = np.abs(psi) ** 2
    idx = np.arange(1 << n)
    out = np.zeros(1 << len(qubits))
    for k in range(1 << n):
        s = sum(((idx[k] >> q) & 1) << j for j, q in enumerate(qubits))
        out[s] += p[k]
    return out


def test_probability_layer_exact_and_sampled():
    circ, _ = build(Circuit, gates, QubitOperator)
    layer = ProbabilityLayer(circ, qubits=[2, 0], weight="uniform", seed=2)
    x = rng.uniform(-2, 2, (3, 3))
    y = layer(ad.tensor(x))
    assert y.shape == (3, 4)
    zero = np.zeros(8, dtype=complex)
    zero[0] = 1
    for b in range(3):
        psi = apply_reference(circ, zero, 3, _pr(layer, x[b]))
        np.testing.assert_allclose(y.data[b], _marginals(psi, [2, 0], 3), atol=1e-12)
    ad.testing.check_primitive(lambda x, w: layer._prim(x, w), [x, layer.weight.data],
                               once_differentiable=True, rtol=1e-7, atol=1e-9)
    # projectors are the dense |s><s| on the measured qubits
    for s, h in enumerate(projector_hamiltonians([2, 0])):
        diag = np.diag(ham_matrix(h.terms, 3)).real
        ref = [float(((k >> 2) & 1) == (s & 1) and (k & 1) == (s >> 1)) for k in range(8)]
        np.testing.assert_allclose(diag, ref, atol=1e-15)
    # many measured qubits: sparse diagonal projectors, same values and gradients
    wide = ProbabilityLayer(circ, qubits=[2, 0, 1, 3], n_qubits=4, weight=layer.weight.data)
    assert wide.grad_ops.hams[0].sparse_mat is not None
    yw = wide(ad.tensor(x)).data
    # outcome s = b(q2) + 2 b(q0) + 4 b(q1) + 8 b(q3); qubit 3 stays |0>
    np.testing.assert_allclose(yw[:, :4] + yw[:, 4:8], y.data, atol=1e-12)
    np.testing.assert_allclose(yw[:, 8:], 0.0, atol=1e-12)
    zero4 = np.zeros(16, dtype=complex)
    zero4[0] = 1
    psi4 = apply_reference(circ, zero4, 4, _pr(layer, x[1]))
    np.testing.assert_allclose(yw[1], _marginals(psi4, [2, 0, 1, 3], 4), atol=1e-12)
    ad.testing.check_primitive(lambda x, w: wide._prim(x, w), [x, layer.weight.data],
                               once_differentiable=True, rtol=1e-7, atol=1e-9)
    # measure gates choose the qubits; shots give frequencies around the exact values
    meas = circ + Circuit([gates.Measure("m1").on(1)])
    sampled = ProbabilityLayer(meas, shots=20000, weight=layer.weight.data, seed=5)
    exact = ProbabilityLayer(meas, weight=layer.weight.data)
    assert sampled.qubits == [1]
    ys, ye = sampled(x).data, exact(x).data
    np.testing.assert_allclose(ys.sum(1), 1.0)
    assert np.all(np.abs(ys - ye) < 5 * np.sqrt(ye * (1 - ye) / 20000) + 1e-12)
    xt = ad.tensor(x, requires_grad=True)
    sampled(xt).sum().backward()   # the gradient of the exact probabilities: sum is constant
    np.testing.assert_allclose(xt.grad.data, 0.0, atol=1e-12)


def test_fidelity_layer_against_dense_overlap():
    data = Circuit([gates.RY("x0").on(0), gates.RY("x1").on(1), gates.X.on(1, 0)]).as_encoder()
    model = Circuit([gates.RY("w0").on(0), gates.RX("w1").on(1), gates.X.on(1, 0),
                     gates.RZ("w2").on(1), gates.RY({"w0": 0.5, "x0": 1.0}).on(1)])
    model.as_ansatz()
    model[4].params[0].as_encoder(["x0"])
    layer = FidelityLayer(data, model, weight="uniform", seed=4)
    assert layer.encoder_params_name == ["x0", "x1"]
    x = rng.uniform(-2, 2, (4, 2))
    y = layer(ad.tensor(x))
    zero = np.zeros(4, dtype=complex)
    zero[0] = 1
    for b in range(4):
        pr = _pr(layer, x[b])
        psi = apply_reference(data, zero, 2, pr)
        phi = apply_reference(model, zero, 2, pr)
        assert abs(y.data[b, 0] - abs(phi.conj() @ psi) ** 2) < 1e-12
    ad.testing.check_primitive(lambda x, w: layer._prim(x, w), [x, layer.weight.data],
                               once_differentiable=True, rtol=1e-7, atol=1e-9)
    # identical circuits: fidelity 1, zero gradient; MQN2Layer on the same operator agrees
    same = FidelityLayer(data, data)
    np.testing.assert_allclose(same(x).data, 1.0, atol=1e-12)
    ops = Simulator("cpu", 2).get_expectation_with_grad(Hamiltonian(QubitOperator("")), data,
                                                        model)
    np.testing.assert_allclose(MQN2Layer(ops, weight=layer.weight.data)(x).data, y.data,
                               atol=1e-14)


def test_density_backend_when_available():
    try:
        Simulator("density", 2)
    except Exception:
        pytest.skip("Simulator('density', n) is not in this branch yet (helper qnoise)")
    layer, _, _ = _layer()
    dens = QuantumLayer(layer.circuit, layer.hams, backend="density", weight=layer.weight.data)
    x = rng.uniform(-1, 1, (2, 3))
    np.testing.assert_allclose(dens(x).data, layer(x).data, atol=1e-10)
    ad.testing.check_grads(lambda x: dens(x), [x], order=1)


def test_hybrid_training_step_decreases_loss():
    """A classical layer feeding a quantum layer, trained jointly with Adam."""
    circ = Circuit([gates.RY("x0").on(0), gates.RY("x1").on(1)]).as_encoder()
    circ += Circuit([gates.X.on(1, 0), gates.RY("w0").on(0), gates.RY("w1").on(1)]).as_ansatz()
    q = QuantumLayer(circ, [QubitOperator("Z0"), QubitOperator("Z1")], weight="uniform", seed=0)
    lin = ad.nn.Linear(4, 2, seed=0)
    opt = ad.optim.Adam(lin.parameters() + q.parameters(), lr=0.05)
    x = ad.tensor(rng.normal(size=(8, 4)))
    target = ad.tensor(rng.uniform(-0.9, 0.9, (8, 2)))
    losses = []
    for _ in range(30):
        opt.zero_grad()
        loss = ad.nn.mse_loss(q(lin(x)), target)
        loss.backward()
        opt.step()
        losses.append(float(loss.data))
    assert losses[-1] < 0.5 * losses[0]


@pytest.mark.cudasim
def test_layer_on_the_cuda_backend_kernels():
    """The numba.cuda kernels (CUDA simulator without a GPU) give the CPU layer's values."""
    from quantum.simulator import CudaBackend

    circ = Circuit([gates.RY("x0").on(0), gates.RX("x1").on(1)]).as_encoder()
    circ += Circuit([gates.X.on(1, 0), gates.RY("w0").on(0), gates.RZ("w1").on(1)]).as_ansatz()
    hams = [QubitOperator("Z0 Z1"), QubitOperator("X1", 0.5)]
    cpu = QuantumLayer(circ, hams, weight="uniform", seed=1)
    cuda = QuantumLayer(circ, hams, backend=CudaBackend(np.complex128, xp=np), weight=cpu.weight.data)
    x = rng.uniform(-1, 1, (1, 2))
    xt = ad.tensor(x, requires_grad=True)
    y = cuda(xt)
    np.testing.assert_allclose(y.data, cpu(x).data, atol=1e-12)
    y.sum().backward()
    np.testing.assert_allclose(xt.grad.data, ad.grad(lambda x: cpu(x).sum())(x).data, atol=1e-12)


@pytest.mark.gpu
@pytest.mark.skipif(not has_real_gpu(), reason="needs cupy and a CUDA device")
def test_gpu_layer_matches_cpu():
    layer, _, _ = _layer()
    gpu = QuantumLayer(layer.circuit, layer.hams, backend="gpu", weight=layer.weight.data)
    x = rng.uniform(-1, 1, (8, 3))
    np.testing.assert_allclose(gpu(x).data, layer(x).data, atol=1e-10)
    xt = ad.tensor(x, requires_grad=True)
    gpu(xt).sum().backward()
    np.testing.assert_allclose(xt.grad.data, ad.grad(lambda x: layer(x).sum())(x).data,
                               atol=1e-10)


@pytest.mark.parametrize("channel,factor", [
    (lambda p: gates.PauliChannel(p / 3, p / 3, p / 3), lambda p: 1 - 4 * p / 3),
    (lambda p: gates.DepolarizingChannel(p), lambda p: 1 - p),   # MindQuantum's definition
])
def test_noisy_layer_on_the_density_backend_when_available(channel, factor):
    """RY(x) RY(w) then a Pauli channel with error probability p (p/3 for each of X, Y, Z):
    <Z> = (1 - 4p/3) cos(x + w); MindQuantum's DepolarizingChannel(p) gives (1 - p) cos."""
    try:
        Simulator("density", 1)
    except Exception:
        pytest.skip("Simulator('density', n) is not in this branch yet (helper qnoise)")
    p = 0.2
    circ = Circuit([gates.RY("x").on(0)]).as_encoder()
    circ += Circuit([gates.RY("w").on(0), channel(p).on(0)]).as_ansatz()
    layer = QuantumLayer(circ, QubitOperator("Z0"), backend="density", weight=np.array([0.3]))
    x = ad.tensor(np.array([[0.4], [-1.1]]), requires_grad=True)
    y = layer(x)
    t = x.data[:, 0] + 0.3
    np.testing.assert_allclose(y.data[:, 0], factor(p) * np.cos(t), atol=1e-12)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.data[:, 0], -factor(p) * np.sin(t), atol=1e-12)
    np.testing.assert_allclose(layer.weight.grad.data, [-factor(p) * np.sin(t).sum()],
                               atol=1e-12)
