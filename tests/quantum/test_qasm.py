"""OpenQASM 2.0 export/import: round trips, and agreement with qiskit's reader and writer."""

import numpy as np
import pytest

from quantum import Circuit, gates
from quantum.io import OpenQASM, from_qasm
from quantum.testing import random_circuit

try:
    from qiskit import QuantumCircuit, qasm2
    from qiskit.quantum_info import Operator
except Exception:  # pragma: no cover
    qasm2 = None

needs_qiskit = pytest.mark.skipif(qasm2 is None, reason="qiskit not installed")

VALS = {"p0": 0.3, "p1": -1.1, "p2": 2.0, "p3": 0.5}

# gate kinds that OpenQASM 2 can carry with 0 and 1 control
EXPORTABLE = [
    gates.X, gates.Y, gates.Z, gates.H, gates.S, gates.Sdag, gates.T, gates.Tdag, gates.SX,
    gates.SWAP, gates.RX("a"), gates.RY("a"), gates.RZ("a"), gates.PhaseShift("a"),
    gates.U3("a", "b", "c"), gates.GlobalPhase("a"),
]
UNCONTROLLED_ONLY = [
    gates.I, gates.SXdag, gates.ISWAP, gates.ISWAPdag, gates.Rxx("a"), gates.Ryy("a"),
    gates.Rzz("a"), gates.Rxy("a"), gates.Rxz("a"), gates.Ryz("a"), gates.FSim("a", "b"),
    gates.Givens("a"), gates.SWAPalpha("a"),
]


def exportable_circuit(seed, n=4, n_gates=60):
    a = random_circuit(n, n_gates // 2, seed=seed, ctrl_rate=0.5, kinds=EXPORTABLE)
    b = random_circuit(n, n_gates // 2, seed=seed + 100, ctrl_rate=0.0, kinds=UNCONTROLLED_ONLY)
    c = Circuit()
    for g1, g2 in zip(a, b, strict=True):
        if len(g1.ctrl_qubits) > 1:
            g1 = g1.on(g1.obj_qubits, g1.ctrl_qubits[:1])
        c += g1
        c += g2
    c += gates.X.on(0, [1, 2])  # ccx
    return c


def assert_equal_up_to_phase(a, b, atol=1e-10):
    i = np.unravel_index(np.argmax(np.abs(b)), b.shape)
    phase = a[i] / b[i]
    assert abs(abs(phase) - 1) < atol
    np.testing.assert_allclose(a, phase * b, atol=atol)


@pytest.mark.parametrize("seed", range(3))
def test_round_trip_numeric_and_symbolic(seed):
    c = exportable_circuit(seed)
    text = c.to_qasm(pr=VALS)
    back = from_qasm(text)
    np.testing.assert_allclose(back.matrix(n_qubits=4), c.matrix(VALS), atol=1e-12)
    sym = OpenQASM().from_string(OpenQASM().to_string(c))
    assert sorted(sym.params_name) == sorted(c.params_name)
    np.testing.assert_allclose(sym.matrix(VALS, n_qubits=4), c.matrix(VALS), atol=1e-12)
    # one statement per gate (controlled S/T/GlobalPhase come back as cu1/u1)
    assert len(sym) == len(c)
    same = [type(a) is type(b) for a, b in zip(sym, c, strict=True)]
    assert sum(same) >= 0.8 * len(c)


@needs_qiskit
@pytest.mark.parametrize("seed", range(3))
def test_export_is_read_by_qiskit(seed):
    c = exportable_circuit(seed)
    qc = qasm2.loads(c.to_qasm(pr=VALS), custom_instructions=qasm2.LEGACY_CUSTOM_INSTRUCTIONS)
    # qiskit, like us, puts qubit 0 at the least significant bit
    assert_equal_up_to_phase(c.matrix(VALS), Operator(qc).data)


@needs_qiskit
def test_import_of_qiskit_dumps():
    rng = np.random.default_rng(5)
    qc = QuantumCircuit(4)
    ang = lambda: float(rng.uniform(-3, 3))
    for _ in range(8):
        qc.u(ang(), ang(), ang(), 0)
        qc.p(ang(), 1)
        qc.rx(ang(), 2)
        qc.ry(ang(), 3)
        qc.rz(ang(), 0)
        qc.cx(0, 1)
        qc.cz(2, 3)
        qc.cy(1, 2)
        qc.ch(3, 0)
        qc.ccx(0, 1, 2)
        qc.swap(1, 3)
        qc.cswap(0, 2, 3)
        qc.crx(ang(), 1, 0)
        qc.cry(ang(), 2, 1)
        qc.crz(ang(), 3, 2)
        qc.cp(ang(), 0, 3)
        qc.rxx(ang(), 0, 2)
        qc.rzz(ang(), 1, 3)
        qc.s(0)
        qc.sdg(1)
        qc.t(2)
        qc.tdg(3)
        qc.sx(0)
        qc.sxdg(1)
        qc.h(2)
    ours = from_qasm(qasm2.dumps(qc))
    np.testing.assert_allclose(ours.matrix(), Operator(qc).data, atol=1e-10)


@needs_qiskit
def test_qelib1_text_with_u1_u2_cu1_cu3_and_gate_definitions():
    text = """OPENQASM 2.0;
include "qelib1.inc";
gate mygate(theta, phi) a, b { u2(phi, -theta) a; cu1(theta/2) a, b; cx b, a; }
qreg a[2];
qreg b[2];
creg c[2];
u1(pi/8) a[0];
u2(0.3, -0.2) a[1];
u3(0.1, 0.2, 0.3) b[0];
cu3(0.4, -0.5, 0.6) a[0], b[1];
h a;                       // broadcast over the register
mygate(0.7, 2*pi/3) b[0], a[1];
cu1(-0.9) b[1], a[0];
id b[1];
barrier a, b[0];
"""
    ours = from_qasm(text)
    assert ours.n_qubits == 4
    ref = Operator(qasm2.loads(text, custom_instructions=qasm2.LEGACY_CUSTOM_INSTRUCTIONS)).data
    np.testing.assert_allclose(ours.remove_barrier().matrix(), ref, atol=1e-12)


def test_measure_barrier_and_registers():
    text = """OPENQASM 2.0;
include "qelib1.inc";
qreg q[3];
creg m[3];
h q[0];
barrier q;
measure q -> m;
"""
    c = from_qasm(text)
    assert isinstance(c[1], gates.BarrierGate) and c[1].obj_qubits == [0, 1, 2]
    keys = [g.key for g in c if isinstance(g, gates.MeasureGate)]
    assert keys == ["m0", "m1", "m2"]
    out = c.to_qasm()
    assert "measure q[2] -> m2[0];" in out and "barrier q[0],q[1],q[2];" in out
    assert from_qasm(out) == c  # keys survive the round trip
    odd = Circuit([gates.Measure("Key!").on(0), gates.Measure("Key!x").on(1)])
    assert "measure q[1] -> c[1];" in odd.to_qasm()


@pytest.mark.parametrize(
    "body, match",
    [
        ("foo q[0];", "line 4: unknown gate 'foo'"),
        ("h q[5];", "line 4: qubit index 5 out of range"),
        ("rx q[0];", "line 4: gate rx takes 1 parameter"),
        ("cx q[0];", "line 4: gate cx acts on 2 qubit"),
        ("cx q[1], q[1];", "line 4: .*both as target and as control"),
        ("h r[0];", "line 4: unknown qubit argument"),
        ("rx(sin(a)) q[0];", "line 4: sin\\(\\) of a parameter"),
        ("h q[0]", "line 4: missing ';'"),
    ],
)
def test_import_errors_name_the_line(body, match):
    text = 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\n' + body + "\n"
    with pytest.raises(ValueError, match=match):
        from_qasm(text)


def test_export_errors():
    with pytest.raises(ValueError, match="no OpenQASM 2.0"):
        Circuit([gates.RX("a").on(0, [1, 2])]).to_qasm()
    u = gates.UnivMathGate("U", np.eye(2))
    with pytest.raises(ValueError, match="no OpenQASM 2.0"):
        Circuit([u.on(0)]).to_qasm()


def test_from_file_names_the_file(tmp_path):
    path = tmp_path / "bad.qasm"
    path.write_text('OPENQASM 2.0;\nqreg q[1];\nbogus q[0];\n')
    with pytest.raises(ValueError, match="bad.qasm: OpenQASM line 3"):
        OpenQASM().from_file(str(path))
    good = Circuit([gates.H.on(0), gates.X.on(1, 0)])
    OpenQASM().to_file(str(tmp_path / "g.qasm"), good)
    assert OpenQASM().from_file(str(tmp_path / "g.qasm")) == good
