"""Density-matrix backend: pure circuits vs the state vector, channels vs dense Kraus sums,
analytic noisy expectations, physicality, sampling, errors.

References are independent: ``|psi><psi|`` from the state-vector backend, Kraus
sums built with dense ``embed`` matrices (numpy kron/tensordot), closed forms.
"""

import numpy as np
import pytest
from scipy import stats

from quantum import Circuit, Hamiltonian, QubitOperator, Simulator, gates
from quantum.simulator.density import DensityMatrixSimulator
from quantum.testing import random_circuit

from .test_simulator_reference import embed


def random_rho(n, seed=0, rank=None):
    rng = np.random.default_rng(seed)
    d = 2**n
    a = rng.normal(size=(d, rank or d)) + 1j * rng.normal(size=(d, rank or d))
    rho = a @ a.conj().T
    return rho / np.trace(rho)


def kraus_dense(ch, obj, n, rho):
    out = np.zeros_like(rho)
    for k in ch.kraus_operators():
        m = embed(k, obj, [], n)
        out += m @ rho @ m.conj().T
    return out


def test_factory_and_aliases():
    for name in ("density", "mqmatrix", "Density"):
        sim = Simulator(name, 2)
        assert isinstance(sim, DensityMatrixSimulator) and isinstance(sim, Simulator)
        rho = sim.get_qs()
        assert rho.shape == (4, 4) and rho[0, 0] == 1 and np.count_nonzero(rho) == 1
    assert type(Simulator("cpu", 2)) is Simulator


@pytest.mark.parametrize("seed", range(4))
def test_pure_random_circuits_equal_state_vector(seed):
    n = 4
    circ = random_circuit(n, 30, seed=seed, ctrl_rate=0.5)
    pr = {p: v for p, v in zip(("p0", "p1", "p2", "p3"), np.random.default_rng(seed).normal(
        size=4), strict=True)}
    sv = Simulator("cpu", n)
    sv.set_qs(np.random.default_rng(seed + 10).normal(size=2**n) + 0j)
    dm = Simulator("density", n)
    dm.set_qs(sv.get_qs())
    sv.apply_circuit(circ, pr)
    dm.apply_circuit(circ, pr)
    psi = sv.get_qs()
    np.testing.assert_allclose(dm.get_qs(), np.outer(psi, psi.conj()), atol=1e-12)
    # and gate by gate through apply_gate
    dm2 = Simulator("density", n)
    dm2.set_qs(dm.get_qs())  # any start works: compare against U rho U^dagger
    rho = dm.get_qs()
    for g in circ[:8]:
        dm2.apply_gate(g, pr)
        u = embed(g.matrix(pr) if g.parameterized else g.matrix(), g.obj_qubits,
                  g.ctrl_qubits or [], n)
        rho = u @ rho @ u.conj().T
    np.testing.assert_allclose(dm2.get_qs(), rho, atol=1e-12)


def _kraus(k, seed):
    """A random complete Kraus set on k qubits (Stinespring: columns of an isometry)."""
    d = 2**k
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(3 * d, d)) + 1j * rng.normal(size=(3 * d, d))
    q, _ = np.linalg.qr(a)
    return [q[i * d:(i + 1) * d] for i in range(3)]


CHANNELS = [
    (gates.BitFlipChannel(0.1), [1]), (gates.PhaseFlipChannel(0.2), [0]),
    (gates.BitPhaseFlipChannel(0.3), [2]), (gates.PauliChannel(0.1, 0.2, 0.3), [3]),
    (gates.DepolarizingChannel(0.15), [2]), (gates.DepolarizingChannel(0.2, 2), [3, 0]),
    (gates.DepolarizingChannel(0.3, 3), [1, 3, 2]), (gates.DepolarizingChannel(0.4, 4),
                                                       [2, 0, 3, 1]),
    (gates.DepolarizingChannel(16 / 15, 2), [0, 2]),
    (gates.AmplitudeDampingChannel(0.25), [1]), (gates.PhaseDampingChannel(0.35), [0]),
    (gates.ThermalRelaxationChannel(100.0, 80.0, 10.0), [2]),
    (gates.KrausChannel("k1", _kraus(1, 1)), [2]),
    (gates.KrausChannel("k2", _kraus(2, 2)), [2, 1]),
    (gates.KrausChannel("k3", _kraus(3, 3)), [1, 3, 2]),  # widest superoperator
    (gates.KrausChannel("k4", _kraus(4, 4)), [3, 1, 0, 2]),  # term-by-term path
]


@pytest.mark.parametrize("ch,obj", CHANNELS, ids=lambda c: getattr(c, "name", str(c)))
def test_channel_equals_dense_kraus_sum(ch, obj):
    n = 4
    rho = random_rho(n, seed=len(obj))
    sim = Simulator("density", n)
    sim.set_qs(rho)
    sim.apply_gate(ch.on(obj))
    np.testing.assert_allclose(sim.get_qs(), kraus_dense(ch, obj, n, rho), atol=1e-12)


def test_consecutive_channels_fused_equal_dense_sequence():
    n = 3
    seq = [(gates.BitFlipChannel(0.1), [1]), (gates.AmplitudeDampingChannel(0.3), [1]),
           (gates.DepolarizingChannel(0.2), [1]), (gates.PhaseDampingChannel(0.4), [1]),
           (gates.DepolarizingChannel(0.1, 2), [0, 2]), (gates.KrausChannel("k2", _kraus(2, 5)),
                                                        [0, 2]),
           (gates.DepolarizingChannel(0.3, 2), [2, 0]), (gates.PauliChannel(0.1, 0.2, 0.05), [2])]
    rho = random_rho(n, seed=9)
    sim = Simulator("density", n)
    sim.set_qs(rho)
    sim.apply_circuit(Circuit([ch.on(obj) for ch, obj in seq]))
    for ch, obj in seq:
        rho = kraus_dense(ch, obj, n, rho)
    np.testing.assert_allclose(sim.get_qs(), rho, atol=1e-12)


def test_depolarizing_on_each_qubit_of_ten():
    n = 10
    rng = np.random.default_rng(3)
    psi = rng.normal(size=2**n) + 1j * rng.normal(size=2**n)
    sim = Simulator("density", n)
    sim.set_qs(psi)
    rho = sim.get_qs().reshape((2,) * (2 * n))
    for q, p in zip(range(n), np.linspace(0.05, 0.5, n), strict=True):
        sim.apply_gate(gates.DepolarizingChannel(p).on(q))
        a_row, a_col = n - 1 - q, 2 * n - 1 - q
        red = np.trace(rho, axis1=a_row, axis2=a_col)  # partial trace over q
        mixed = np.expand_dims(np.expand_dims(red, a_row), a_col) * np.eye(2).reshape(
            [2 if i in (a_row, a_col) else 1 for i in range(2 * n)]) / 2
        rho = (1 - p) * rho + p * mixed
        np.testing.assert_allclose(sim.get_qs(), rho.reshape(2**n, 2**n), atol=1e-13)
    assert abs(np.trace(sim.get_qs()) - 1) < 1e-12


@pytest.mark.parametrize("k", [1, 2, 5, 10])
def test_wide_depolarizing_channel(k):
    """DepolarizingChannel(p, k) on k of 10 qubits: (1-p) rho + p I/2**k (x) Tr_targets rho,
    without its 4**k Kraus operators (MindQuantum 0.12 hangs on this channel)."""
    n, p = 10, 0.3
    targets = [int(q) for q in np.random.default_rng(k).permutation(n)[:k]]
    sim = Simulator("density", n)
    rho0 = random_rho(n, seed=k, rank=2)
    sim.set_qs(rho0)
    sim.apply_gate(gates.DepolarizingChannel(p, k).on(targets))
    rest = [q for q in range(n) if q not in targets]
    # I/2**k on the targets (x) the state of the other qubits, built with numpy alone
    t = rho0.reshape((2,) * (2 * n))  # axis a: row qubit n-1-a; n+a: column qubit n-1-a
    red = np.einsum(t, list(range(n)) + [n + a if (n - 1 - a) in rest else a for a in range(n)])
    eye = np.eye(2**k).reshape((2,) * (2 * k)) / 2**k  # axes: targets[k-1..0] rows, columns
    want = np.einsum(eye, [n - 1 - q for q in reversed(targets)]
                     + [2 * n - 1 - q for q in reversed(targets)],
                     red, [n - 1 - q for q in reversed(rest)]
                     + [2 * n - 1 - q for q in reversed(rest)], list(range(2 * n)))
    want = want.reshape(2**n, 2**n)
    np.testing.assert_allclose(sim.get_qs(), (1 - p) * rho0 + p * want, atol=1e-13)


def test_thermal_relaxation_analytic():
    t1, t2, tg = 50.0, 70.0, 8.0
    rho = random_rho(1, seed=4)
    sim = Simulator("density", 1)
    sim.set_qs(rho)
    sim.apply_gate(gates.ThermalRelaxationChannel(t1, t2, tg).on(0))
    out = sim.get_qs()
    assert abs(out[1, 1] - np.exp(-tg / t1) * rho[1, 1]) < 1e-14
    assert abs(out[0, 1] - np.exp(-tg / t2) * rho[0, 1]) < 1e-14
    with pytest.raises(ValueError, match="t2 = 120.*2 t1"):
        gates.ThermalRelaxationChannel(50.0, 120.0, 1.0)
    with pytest.raises(ValueError, match="t1 > 0"):
        gates.ThermalRelaxationChannel(0.0, 1.0, 1.0)


def _expect(circ, op, pr, n=1):
    sim = Simulator("density", n)
    return sim.get_expectation(Hamiltonian(QubitOperator(op)), circ, pr=pr).real


@pytest.mark.parametrize("t", [0.3, 1.1, 2.5])
@pytest.mark.parametrize("p", [0.0, 0.1, 0.6])
def test_analytic_single_qubit_channels(t, p):
    pr = {"t": t}
    ry = gates.RY("t").on(0)
    c, s = np.cos(t), np.sin(t)
    cases = [
        # issue 7's anchor: depolarizing p in the Pauli form (p/3 each) -> (1 - 4p/3) cos t
        (gates.PauliChannel(p / 3, p / 3, p / 3), "Z0", (1 - 4 * p / 3) * c),
        (gates.DepolarizingChannel(4 * p / 3), "Z0", (1 - 4 * p / 3) * c),
        # MindQuantum's definition (1-p) rho + p I/2
        (gates.DepolarizingChannel(p), "Z0", (1 - p) * c),
        (gates.DepolarizingChannel(p), "X0", (1 - p) * s),
        (gates.AmplitudeDampingChannel(p), "Z0", 1 - 2 * (1 - p) * np.sin(t / 2) ** 2),
        (gates.AmplitudeDampingChannel(p), "X0", np.sqrt(1 - p) * s),
        (gates.PhaseDampingChannel(p), "Z0", c),
        (gates.PhaseDampingChannel(p), "X0", np.sqrt(1 - p) * s),
        (gates.BitFlipChannel(p), "Z0", (1 - 2 * p) * c),
        (gates.BitFlipChannel(p), "X0", s),
        (gates.PhaseFlipChannel(p), "X0", (1 - 2 * p) * s),
        (gates.PhaseFlipChannel(p), "Z0", c),
        (gates.BitPhaseFlipChannel(p), "Z0", (1 - 2 * p) * c),
    ]
    for ch, op, want in cases:
        got = _expect(Circuit([ry, ch.on(0)]), op, pr)
        assert abs(got - want) < 1e-13, (ch.label(), op, got, want)


def test_analytic_gradient_depolarizing():
    t = np.linspace(-2, 2, 5)
    for p in (0.0, 0.15, 0.75):
        circ = Circuit([gates.RY("t").on(0), gates.PauliChannel(p / 3, p / 3, p / 3).on(0)])
        ops = Simulator("density", 1).get_expectation_with_grad(
            Hamiltonian(QubitOperator("Z0")), circ.as_encoder())
        f, g = ops(t.reshape(-1, 1))
        np.testing.assert_allclose(f[:, 0].real, (1 - 4 * p / 3) * np.cos(t), atol=1e-13)
        np.testing.assert_allclose(g[:, 0, 0].real, -(1 - 4 * p / 3) * np.sin(t), atol=1e-13)
        assert np.all(f.imag == 0) and np.all(g.imag == 0)


def _noisy_circuit(n, seed):
    rng = np.random.default_rng(seed)
    chans = [gates.DepolarizingChannel(0.05), gates.AmplitudeDampingChannel(0.1),
             gates.PhaseDampingChannel(0.2), gates.PauliChannel(0.02, 0.03, 0.04),
             gates.BitFlipChannel(0.05), gates.DepolarizingChannel(0.08, 2)]
    circ = Circuit()
    for blk in range(4):
        circ += random_circuit(n, 5, seed=seed * 10 + blk, ctrl_rate=0.4)
        ch = chans[int(rng.integers(len(chans)))]
        circ += ch.on([int(q) for q in rng.permutation(n)[:ch.n_qubits]])
    return circ


@pytest.mark.parametrize("seed", range(3))
def test_state_stays_physical(seed):
    n = 4
    circ = _noisy_circuit(n, seed)
    sim = Simulator("density", n)
    sim.apply_circuit(circ, {"p0": 0.3, "p1": -1.2, "p2": 0.7, "p3": 2.0})
    rho = sim.get_qs()
    assert abs(np.trace(rho) - 1) < 1e-12
    np.testing.assert_allclose(rho, rho.conj().T, atol=1e-13)
    assert np.linalg.eigvalsh(rho).min() > -1e-12
    assert sim.purity() < 1 - 1e-3  # the noise really mixed the state


def test_state_vector_backend_rejects_channels():
    circ = Circuit([gates.H.on(0), gates.DepolarizingChannel(0.1).on(0)])
    with pytest.raises(ValueError, match="DC.*noise channel.*density"):
        Simulator("cpu", 1).apply_circuit(circ)


def test_sampling_matches_diag_rho():
    n = 3
    circ = _noisy_circuit(n, 5)
    pr = {"p0": 0.3, "p1": -1.2, "p2": 0.7, "p3": 2.0}
    sim = Simulator("density", n)
    sim.apply_circuit(circ, pr)
    probs = np.real(np.diag(sim.get_qs()))
    meas = circ + Circuit([gates.Measure(f"q{q}").on(q) for q in range(n)])
    shots = 20000
    res = Simulator("density", n).sampling(meas, pr, shots=shots, seed=42)
    idx = res.samples @ (1 << np.arange(n))
    counts = np.bincount(idx, minlength=2**n)
    assert stats.chisquare(counts, probs * shots).pvalue > 1e-3
    again = Simulator("density", n).sampling(meas, pr, shots=shots, seed=42)
    np.testing.assert_array_equal(again.samples, res.samples)


def test_mid_circuit_measurement_with_noise():
    # H, measure q0, then X on q0 controlled by nothing, bit flip p on q1 after CNOT
    p = 0.2
    circ = Circuit([gates.H.on(0), gates.Measure("m0").on(0), gates.X.on(1, 0),
                    gates.BitFlipChannel(p).on(1), gates.H.on(0), gates.Measure("m1").on(1)])
    res = Simulator("density", 2).sampling(circ, shots=4000, seed=1)
    m0, m1 = res.samples[:, 0], res.samples[:, 1]
    # m1 = m0 xor flip, flip ~ Bernoulli(p)
    flips = np.mean(m0 != m1)
    assert abs(np.mean(m0) - 0.5) < 0.04 and abs(flips - p) < 0.03


def test_set_qs_get_qs_reset_and_reduced():
    n = 3
    sim = Simulator("density", n)
    rho = random_rho(n, 2)
    sim.set_qs(2.0 * rho)  # normalised by the trace
    np.testing.assert_allclose(sim.get_qs(), rho, atol=1e-14)
    red = sim.get_reduced_density_matrix([2, 0])
    t = rho.reshape((2,) * 6)  # axes: r2 r1 r0 c2 c1 c0
    want = np.einsum("abcdbf->acdf", t).reshape(4, 4)  # keep q2 (high) q0 (low)
    # kept [2, 0]: kept[0] = q2 is the low bit -> swap the two kept qubits
    want = want.reshape(2, 2, 2, 2).transpose(1, 0, 3, 2).reshape(4, 4)
    np.testing.assert_allclose(red, want, atol=1e-14)
    sim.reset()
    assert sim.get_qs()[0, 0] == 1 and abs(sim.purity() - 1) < 1e-15
    psi = np.array([1, 0, 0, 1j, 0, 0, 0, 0]) / np.sqrt(2)
    sim.set_qs(psi)
    assert "|011>" in sim.get_qs(ket=True)
    with pytest.raises(ValueError, match="does not fit"):
        sim.set_qs(np.ones(4))
    with pytest.raises(ValueError, match="not Hermitian"):
        sim.set_qs(np.triu(np.ones((8, 8))))
    with pytest.raises(ValueError, match="positive semidefinite"):
        sim.set_qs(np.diag([1.0, -0.5, 0, 0, 0, 0, 0, 0.5]))
    sim.set_qs(rho)
    with pytest.raises(ValueError, match="mixed"):
        sim.get_qs(ket=True)


def test_errors_name_the_culprit():
    sim = Simulator("density", 2)
    with pytest.raises(ValueError, match="BFC.*qubit 3"):
        sim.apply_circuit(Circuit([gates.BitFlipChannel(0.1).on(3)]))
    with pytest.raises(ValueError, match="'a'"):
        sim.apply_circuit(Circuit([gates.RX("a").on(0)]))
    with pytest.raises(ValueError, match="not Hermitian"):
        sim.get_expectation_with_grad(Hamiltonian(QubitOperator("X0", 1j)),
                                      Circuit([gates.RX("a").on(0)]))
    with pytest.raises(ValueError, match="qubit 5"):
        sim.get_expectation(Hamiltonian(QubitOperator("Z5")))
