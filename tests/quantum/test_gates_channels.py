"""Noise channels: completeness, analytic action on density matrices, MindQuantum's Kraus sets."""

import numpy as np
import pytest

from quantum import Circuit, gates
from quantum.testing import check_gate

try:
    import mindquantum.core.gates as mqg
except Exception:  # pragma: no cover
    mqg = None


def apply_channel(ch, rho):
    return sum(k @ rho @ k.conj().T for k in ch.kraus_operators())


def random_rho(n, seed=0):
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(2**n, 2**n)) + 1j * rng.normal(size=(2**n, 2**n))
    rho = a @ a.conj().T
    return rho / np.trace(rho)


CHANNELS = [
    gates.BitFlipChannel(0.1), gates.PhaseFlipChannel(0.2), gates.BitPhaseFlipChannel(0.3),
    gates.PauliChannel(0.1, 0.2, 0.3), gates.DepolarizingChannel(0.15),
    gates.DepolarizingChannel(0.2, 2), gates.AmplitudeDampingChannel(0.25),
    gates.PhaseDampingChannel(0.35),
]


@pytest.mark.parametrize("ch", CHANNELS, ids=lambda c: c.label())
def test_kraus_sets_are_complete(ch):
    ks = ch.kraus_operators()
    d = 2**ch.n_qubits
    assert all(k.shape == (d, d) and k.dtype == np.complex128 for k in ks)
    np.testing.assert_allclose(sum(k.conj().T @ k for k in ks), np.eye(d), atol=1e-14)
    assert not hasattr(ch, "matrix")
    check_gate(ch)


def test_check_gate_rejects_a_non_cp_map():
    class Bad(gates.KrausChannel):
        def kraus_operators(self):
            return [np.eye(2, dtype=complex), 0 * np.eye(2, dtype=complex)]

        def superoperator(self):  # a transpose map: trace preserving, not CP
            return np.eye(4)[[0, 2, 1, 3]].astype(complex)

    with pytest.raises(AssertionError, match="superoperator"):
        check_gate(Bad("t", [np.eye(2)]))


def test_analytic_actions():
    rho = random_rho(1)
    X = np.array([[0, 1], [1, 0]])
    Y = np.array([[0, -1j], [1j, 0]])
    Z = np.diag([1, -1])
    np.testing.assert_allclose(
        apply_channel(gates.DepolarizingChannel(0.3), rho), 0.7 * rho + 0.3 * np.eye(2) / 2, atol=1e-14
    )
    rho2 = random_rho(2, 1)
    np.testing.assert_allclose(
        apply_channel(gates.DepolarizingChannel(0.3, 2), rho2), 0.7 * rho2 + 0.3 * np.eye(4) / 4, atol=1e-14
    )
    px, py, pz = 0.1, 0.2, 0.3
    ref = 0.4 * rho + px * X @ rho @ X + py * Y @ rho @ Y + pz * Z @ rho @ Z
    np.testing.assert_allclose(apply_channel(gates.PauliChannel(px, py, pz), rho), ref, atol=1e-14)
    g = 0.25
    out = apply_channel(gates.AmplitudeDampingChannel(g), rho)
    np.testing.assert_allclose(out[0, 0], rho[0, 0] + g * rho[1, 1], atol=1e-14)
    np.testing.assert_allclose(out[0, 1], np.sqrt(1 - g) * rho[0, 1], atol=1e-14)
    out = apply_channel(gates.PhaseDampingChannel(g), rho)
    np.testing.assert_allclose(np.diag(out), np.diag(rho), atol=1e-14)
    np.testing.assert_allclose(out[1, 0], np.sqrt(1 - g) * rho[1, 0], atol=1e-14)


@pytest.mark.skipif(mqg is None, reason="mindquantum not installed")
def test_superoperators_equal_mindquantum():
    theirs = [
        mqg.BitFlipChannel(0.1), mqg.PhaseFlipChannel(0.2), mqg.BitPhaseFlipChannel(0.3),
        mqg.PauliChannel(0.1, 0.2, 0.3), mqg.DepolarizingChannel(0.15),
        mqg.DepolarizingChannel(0.2, 2), mqg.AmplitudeDampingChannel(0.25),
        mqg.PhaseDampingChannel(0.35),
    ]
    for ours, mq in zip(CHANNELS, theirs, strict=True):
        ref = sum(np.kron(np.asarray(k), np.asarray(k).conj()) for k in mq.matrix())
        np.testing.assert_allclose(ours.superoperator(), ref, atol=1e-12, err_msg=ours.label())


def test_kraus_channel_and_errors():
    ks = gates.AmplitudeDampingChannel(0.3).kraus_operators()
    ch = gates.KrausChannel("ad", ks).on(2)
    assert ch.obj_qubits == [2] and ch.n_qubits == 1
    np.testing.assert_allclose(ch.superoperator(), gates.AmplitudeDampingChannel(0.3).superoperator())
    with pytest.raises(ValueError, match="KrausChannel bad: Kraus operators are not complete"):
        gates.KrausChannel("bad", [np.eye(2), np.eye(2)])
    with pytest.raises(ValueError, match="must lie in \\[0, 1\\]"):
        gates.BitFlipChannel(1.5)
    with pytest.raises(ValueError, match="px \\+ py \\+ pz must be <= 1"):
        gates.PauliChannel(0.5, 0.4, 0.3)
    with pytest.raises(ValueError, match="cannot have control"):
        gates.DepolarizingChannel(0.1).on(0, 1)
    with pytest.raises(ValueError, match="acts on 2 qubit"):
        gates.DepolarizingChannel(0.1, 2).on(0)


def test_noise_circuit_flags():
    c = Circuit([gates.H.on(0), gates.DepolarizingChannel(0.1).on(0)])
    assert c.is_noise_circuit and not c.remove_noise().is_noise_circuit
    with pytest.raises(ValueError, match="non-unitary"):
        c.dagger()
    with pytest.raises(ValueError, match="non-unitary"):
        c.matrix()
    assert "DC(0.1)" in c.draw()
