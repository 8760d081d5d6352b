"""Adjoint gradients of noisy expectations on the density backend vs central finite differences.

The finite differences use ``get_expectation`` (forward runs only), so they share no
code with the reverse sweep; noisy circuits mix encoder and ansatz parameters, shared
parameters and linear expressions, controls, and channels of every kind.
"""

import numpy as np
import pytest

from quantum import Circuit, Hamiltonian, QubitOperator, Simulator, gates
from quantum.simulator import density_grad
from quantum.testing import random_circuit

CHANS = [gates.DepolarizingChannel(0.05), gates.AmplitudeDampingChannel(0.1),
         gates.PhaseDampingChannel(0.2), gates.PauliChannel(0.02, 0.03, 0.04),
         gates.BitFlipChannel(0.05), gates.DepolarizingChannel(0.08, 2),
         gates.PhaseFlipChannel(0.07), gates.BitPhaseFlipChannel(0.06)]


def noisy_circuit(n, seed, blocks=4, per_block=4):
    rng = np.random.default_rng(seed)
    enc = Circuit()
    for b in range(blocks // 2):
        enc += random_circuit(n, per_block, seed=seed * 100 + b, ctrl_rate=0.4,
                              params=("e0", "e1", "e2"))
        ch = CHANS[int(rng.integers(len(CHANS)))]
        enc += ch.on([int(q) for q in rng.permutation(n)[:ch.n_qubits]])
    ans = Circuit()
    for b in range(blocks - blocks // 2):
        ans += random_circuit(n, per_block, seed=seed * 100 + 50 + b, ctrl_rate=0.4,
                              params=("a0", "a1", "a2", "a3"))
        ch = CHANS[int(rng.integers(len(CHANS)))]
        ans += ch.on([int(q) for q in rng.permutation(n)[:ch.n_qubits]])
    return enc.as_encoder() + ans.as_ansatz()


HAMS = [Hamiltonian(QubitOperator("Z0 Z1", 0.7) + QubitOperator("X2", -0.4)),
        Hamiltonian(QubitOperator("Y1", 1.0) + QubitOperator("X0 Y2 Z1", 0.3)),
        Hamiltonian(QubitOperator("Z2"))]


def fd_grad(circ, ham, names, values, n, h=1e-5):
    def f(v):
        return Simulator("density", n).get_expectation(
            ham, circ, pr=dict(zip(names, v, strict=True))).real

    g = np.zeros(len(values))
    for i in range(len(values)):
        e = np.zeros(len(values))
        e[i] = h
        g[i] = (f(values + e) - f(values - e)) / (2 * h)
    return f(values), g


@pytest.mark.parametrize("seed,n_hams", [(0, 3), (1, 3), (2, 1)])
def test_encoder_ansatz_batched_multi_ham_vs_finite_differences(seed, n_hams):
    """Three Hamiltonians: the generic sweep; one: the fused one-qubit reverse steps."""
    n = 3
    hams = HAMS[:n_hams]
    circ = noisy_circuit(n, seed)
    assert circ.encoder_params_name and circ.ansatz_params_name
    n_enc, n_ans = len(circ.encoder_params_name), len(circ.ansatz_params_name)
    rng = np.random.default_rng(seed)
    enc = rng.normal(size=(3, n_enc))
    ans = rng.normal(size=n_ans)
    ops = Simulator("density", n).get_expectation_with_grad(hams, circ)
    f, ge, ga = ops(enc, ans)
    assert f.shape == (3, n_hams) and ge.shape == (3, n_hams, n_enc)
    assert ga.shape == (3, n_hams, n_ans)
    names = circ.encoder_params_name + circ.ansatz_params_name
    for b in range(3):
        vals = np.concatenate([enc[b], ans])
        for h, ham in enumerate(hams):
            f_fd, g_fd = fd_grad(circ, ham, names, vals, n)
            assert abs(f[b, h].real - f_fd) < 1e-12
            np.testing.assert_allclose(ge[b, h].real, g_fd[:n_enc], atol=1e-8)
            np.testing.assert_allclose(ga[b, h].real, g_fd[n_enc:], atol=1e-8)
    assert np.all(f.imag == 0) and np.all(ge.imag == 0) and np.all(ga.imag == 0)


def test_recomputed_checkpoints_give_the_same_gradient(monkeypatch):
    n = 3
    circ = noisy_circuit(n, 7, blocks=10, per_block=2)
    n_enc, n_ans = len(circ.encoder_params_name), len(circ.ansatz_params_name)
    rng = np.random.default_rng(1)
    enc, ans = rng.normal(size=(2, n_enc)), rng.normal(size=n_ans)
    ref = Simulator("density", n).get_expectation_with_grad(HAMS[:2], circ)(enc, ans)
    # room for 2 density matrices only: checkpoints every ~sqrt(n) channels, recomputed
    monkeypatch.setattr(density_grad, "CHECKPOINT_BYTES", 2 * 16 * 4**n)
    got = Simulator("density", n).get_expectation_with_grad(HAMS[:2], circ)(enc, ans)
    for a, b in zip(ref, got, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-13)


def test_single_kind_versions_and_initial_state():
    n = 2
    circ = Circuit([gates.RX("a").on(0), gates.AmplitudeDampingChannel(0.3).on(0),
                    gates.RY({"a": 0.5, "b": 2.0}).on(1, 0),
                    gates.DepolarizingChannel(0.2, 2).on([1, 0]),
                    gates.RZ("b").on(1), gates.H.on(1)])
    ham = Hamiltonian(QubitOperator("Z0") + QubitOperator("X1", 0.5))
    sim = Simulator("density", n)
    sim.apply_circuit(Circuit([gates.H.on(0), gates.BitFlipChannel(0.3).on(1)]))
    ops = sim.get_expectation_with_grad(ham, circ)
    x = np.array([0.4, -1.3])
    f, g = ops(x)  # ansatz only: one input
    assert f.shape == (1, 1) and g.shape == (1, 1, 2)

    def fwd(v):
        return sim.get_expectation(ham, circ, pr={"a": v[0], "b": v[1]}).real

    fd = [(fwd(x + e) - fwd(x - e)) / 2e-6 for e in np.eye(2) * 1e-6]
    assert abs(f[0, 0].real - fwd(x)) < 1e-12
    np.testing.assert_allclose(g[0, 0].real, fd, atol=1e-8)
    ops_e = sim.get_expectation_with_grad(ham, circ.as_encoder())
    fe, ge = ops_e(np.stack([x, x + 0.1]))
    assert fe.shape == (2, 1) and ge.shape == (2, 1, 2)
    np.testing.assert_allclose(ge[0], g[0], atol=1e-13)


def test_no_grad_parameters_get_zero():
    circ = Circuit([gates.RX("a").on(0), gates.RY("b").on(0).no_grad(),
                    gates.PhaseDampingChannel(0.2).on(0)])
    assert circ.requires_grad_params_name == ["a"]
    ops = Simulator("density", 1).get_expectation_with_grad(
        Hamiltonian(QubitOperator("Z0")), circ)
    _, g = ops(np.array([0.3, 0.5]))
    assert abs(g[0, 0, 0]) > 1e-3 and g[0, 0, 1] == 0


def test_bad_inputs():
    circ = Circuit([gates.RX("e").on(0)]).as_encoder() + Circuit([gates.RY("w").on(0)]).as_ansatz()
    ops = Simulator("density", 1).get_expectation_with_grad(Hamiltonian(QubitOperator("Z0")),
                                                            circ)
    with pytest.raises(ValueError, match="two inputs"):
        ops(np.zeros((2, 1)))
    with pytest.raises(ValueError, match="Encoder data"):
        ops(np.zeros((2, 3)), np.zeros(1))
    with pytest.raises(ValueError, match="measure"):
        Simulator("density", 1).get_expectation_with_grad(
            Hamiltonian(QubitOperator("Z0")), circ + Circuit([gates.Measure("m").on(0)]))
    with pytest.raises(NotImplementedError, match="circ_left"):
        Simulator("density", 1).get_expectation_with_grad(
            Hamiltonian(QubitOperator("Z0")), circ, circ)
