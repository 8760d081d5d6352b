"""Encoders and textbook circuits against states and matrices written down independently.

Tolerances: states and matrices 1e-12 (seen ~1e-15).
"""

import numpy as np
import pytest

import core_autodiff as ad
from quantum import (
    Circuit,
    IQPEncoding,
    ProbabilityLayer,
    Simulator,
    amplitude_encoder,
    angle_encoder,
    gates,
    grover_diffusion,
    grover_oracle,
    grover_search,
    qft,
)
from quantum.encoders import amplitude_encoder_params
from quantum.library import bitphaseflip_operator, grover_iterations, inverse_qft
from tests.quantum.test_simulator_reference import apply_reference, dense_unitary

rng = np.random.default_rng(11)


def _state(circ, n, pr=None):
    zero = np.zeros(1 << n, dtype=complex)
    zero[0] = 1
    return apply_reference(circ, zero, n, pr)


def _kron_qubits(single):
    """Product state from one-qubit states, ``single[0]`` on qubit 0 (least significant)."""
    out = np.ones(1, dtype=complex)
    for s in single:
        out = np.kron(s, out)
    return out


def test_angle_encoder_states():
    x = rng.uniform(-np.pi, np.pi, 4)
    circ = angle_encoder(4)
    assert circ.encoder_params_name == ["x0", "x1", "x2", "x3"]
    assert circ.ansatz_params_name == []
    psi = _state(circ, 4, dict(zip(circ.encoder_params_name, x, strict=True)))
    ref = _kron_qubits([np.array([np.cos(t / 2), np.sin(t / 2)]) for t in x])
    np.testing.assert_allclose(psi, ref, atol=1e-12)
    # RZ encoding puts H first: (e^{-it/2}|0> + e^{it/2}|1>)/sqrt(2) per qubit
    circ = angle_encoder(3, "RZ", qubits=[2, 0, 1], prefix="f")
    vals = dict(zip(["f0", "f1", "f2"], x[:3], strict=True))
    psi = _state(circ, 3, vals)
    per_qubit = {2: x[0], 0: x[1], 1: x[2]}
    ref = _kron_qubits([np.array([np.exp(-0.5j * per_qubit[q]), np.exp(0.5j * per_qubit[q])])
                        / np.sqrt(2) for q in range(3)])
    np.testing.assert_allclose(psi, ref, atol=1e-12)
    with pytest.raises(ValueError, match="unknown rotation"):
        angle_encoder(2, "RW")


@pytest.mark.parametrize("n", [1, 2, 3, 5])
def test_amplitude_encoder_reproduces_random_vectors(n):
    v = rng.normal(size=1 << n) + 1j * rng.normal(size=1 << n)
    v /= np.linalg.norm(v)
    circ, pr = amplitude_encoder(v, n)
    assert set(circ.encoder_params_name) == set(pr.keys())
    sim = Simulator("cpu", n)
    sim.apply_circuit(circ, pr)
    np.testing.assert_allclose(sim.get_qs(), v, atol=1e-12)   # global phase included
    np.testing.assert_allclose(_state(circ, n, pr), v, atol=1e-12)


def test_amplitude_encoder_real_sparse_padded_and_errors():
    for v in ([0, 0, 0, 1], [1, 0, 0, 0], [0, -1, 0, 0], [3, 0, 4], [0.5, -0.5, 0.5, -0.5]):
        circ, pr = amplitude_encoder(v, 2)
        ref = np.concatenate([np.asarray(v, float), np.zeros(4 - len(v))])
        np.testing.assert_allclose(_state(circ, 2, pr), ref / np.linalg.norm(ref), atol=1e-12)
    with pytest.raises(ValueError, match="zero"):
        amplitude_encoder([0, 0], 1)
    with pytest.raises(ValueError, match="5 amplitudes do not fit 2 qubits"):
        amplitude_encoder(np.ones(5), 2)


def test_amplitude_encoder_batch_through_a_layer():
    data = rng.normal(size=(4, 8))
    circ, _ = amplitude_encoder(data[0], 3)
    angles = amplitude_encoder_params(data, 3)
    layer = ProbabilityLayer(circ)
    probs = layer(ad.tensor(angles)).data
    ref = data**2 / (data**2).sum(1, keepdims=True)
    np.testing.assert_allclose(probs, ref, atol=1e-12)


def test_amplitude_encoder_matches_mindquantum_state():
    mq = pytest.importorskip("mindquantum")
    from mindquantum.algorithm.library import amplitude_encoder as mq_amp

    v = rng.normal(size=8)
    v /= np.linalg.norm(v)
    mcirc, mpr = mq_amp(list(v), 3)
    sim = mq.simulator.Simulator("mqvector", 3)
    sim.apply_circuit(mcirc, mpr)
    circ, pr = amplitude_encoder(v, 3)
    np.testing.assert_allclose(_state(circ, 3, pr), v, atol=1e-12)
    assert abs(abs(np.vdot(sim.get_qs(), v)) - 1) < 1e-10


def _iqp_reference(x, repeats=1):
    """``2^{-n/2} exp(-i r/2 [sum x_i s_i + sum x_{i-1} x_i s_{i-1} s_i]) |b>``, s = 1 - 2b."""
    n = len(x)
    out = np.zeros(1 << n, dtype=complex)
    for k in range(1 << n):
        s = 1 - 2 * ((k >> np.arange(n)) & 1)
        phase = np.dot(x, s) + sum(x[i - 1] * x[i] * s[i - 1] * s[i] for i in range(1, n))
        out[k] = np.exp(-0.5j * repeats * phase) / np.sqrt(1 << n)
    return out


@pytest.mark.parametrize("repeats", [1, 2])
def test_iqp_encoding_state(repeats):
    x = rng.uniform(-2, 2, 4)
    iqp = IQPEncoding(4, num_repeats=repeats)
    vals = iqp.data_preparation(x)
    assert vals.shape == (7,)
    np.testing.assert_allclose(vals[4:], x[:-1] * x[1:])
    pr = dict(zip(iqp.circuit.encoder_params_name, vals, strict=True))
    np.testing.assert_allclose(_state(iqp.circuit, 4, pr), _iqp_reference(x, repeats), atol=1e-12)
    assert iqp.data_preparation(np.stack([x, x])).shape == (2, 7)
    with pytest.raises(ValueError, match=r"\(batch, 4\)"):
        iqp.data_preparation(np.ones(3))
    assert IQPEncoding(2, prefix="p").circuit.params_name == ["p_alpha0", "p_alpha1",
                                                              "p_alpha0_x_alpha1"]


@pytest.mark.parametrize("n", [1, 2, 3, 5])
def test_qft_equals_dft_matrix(n):
    size = 1 << n
    dft = np.exp(2j * np.pi * np.outer(np.arange(size), np.arange(size)) / size) / np.sqrt(size)
    np.testing.assert_allclose(dense_unitary(qft(n), n), dft, atol=1e-12)
    np.testing.assert_allclose(dense_unitary(inverse_qft(list(range(n))), n), dft.conj().T,
                               atol=1e-12)


def test_qft_on_a_subset_of_qubits():
    """QFT on qubits [3, 1] of 4: acts as the 4-point DFT on j = b_3 + 2 b_1."""
    u = dense_unitary(qft([3, 1]), 4)
    dft = np.exp(2j * np.pi * np.outer(np.arange(4), np.arange(4)) / 4) / 2
    for k_in in range(16):
        j = ((k_in >> 3) & 1) + 2 * ((k_in >> 1) & 1)
        rest = k_in & 0b0101
        for k_out in range(16):
            jj = ((k_out >> 3) & 1) + 2 * ((k_out >> 1) & 1)
            ref = dft[jj, j] if (k_out & 0b0101) == rest else 0.0
            assert abs(u[k_out, k_in] - ref) < 1e-12


def test_grover_oracle_and_diffusion_matrices():
    for marked, n in (([5], 3), ([0, 3, 6], 3), ([9], 4)):
        diag = np.ones(1 << n)
        diag[marked] = -1
        np.testing.assert_allclose(dense_unitary(grover_oracle(marked, n), n), np.diag(diag),
                                   atol=1e-12)
    np.testing.assert_allclose(dense_unitary(bitphaseflip_operator([1, 3], 3), 3),
                               np.diag([1, -1, 1, -1, 1, 1, 1, 1]), atol=1e-12)
    s = np.ones(8) / np.sqrt(8)
    np.testing.assert_allclose(dense_unitary(grover_diffusion(3), 3),
                               2 * np.outer(s, s) - np.eye(8), atol=1e-12)
    with pytest.raises(ValueError, match="marked index 8 outside 0 .. 7"):
        grover_oracle([8], 3)


@pytest.mark.parametrize("n,marked", [(3, [6]), (5, [19]), (6, [0]), (4, [2, 13])])
def test_grover_finds_marked_items(n, marked):
    circ = grover_search(marked, n)
    sim = Simulator("cpu", n)
    sim.apply_circuit(circ)
    p_marked = float(np.sum(np.abs(sim.get_qs()[marked]) ** 2))
    k = grover_iterations(1 << n, len(marked))
    theta = np.arcsin(np.sqrt(len(marked) / (1 << n)))
    assert abs(p_marked - np.sin((2 * k + 1) * theta) ** 2) < 1e-12
    assert p_marked > 0.9
    meas = circ + Circuit([gates.Measure(f"q{q}").on(q) for q in range(n)])
    res = Simulator("cpu", n).sampling(meas, shots=500, seed=1)
    hits = sum(c for bits, c in res.data.items() if int(bits, 2) in marked)
    assert hits > 0.8 * 500
