"""State-vector benchmarks: quantum.Simulator vs MindQuantum, qulacs, PennyLane-lightning, Qiskit Aer.

Workloads (issue 5, double precision):

* Q1: 10 layers of [RX on every qubit, CNOT chain], applied to |0...0> (allocate + apply), at
  16, 20 (and with ``--big`` 24) qubits.
* Q2: value and full gradient of <H>, H = sum Z_i Z_{i+1} + 0.5 sum X_i, for a 4-layer
  hardware-efficient ansatz [RY, RZ on every qubit, CNOT chain] at 8, 12, 16, 20 qubits
  (Aer: forward value only, it has no gradient; PennyLane: the timed call is ``qml.grad``
  with ``diff_method="adjoint"``, whose forward pass yields the value).

Each thread count runs in its own subprocess (MindQuantum follows OMP_NUM_THREADS only);
numba uses NUMBA_NUM_THREADS. Every library runs the same workload in that process; the
first call is a warm-up (numba compile time excluded), then ``--repeats`` interleaved
rounds (every library once per round, so that load drifting on a shared machine hits all
alike) and the median of each.
Output: one JSON line per (workload, n, threads) with every library's median seconds, the
ratio of ours to the fastest peer (< 1: we are faster) and the max deviation of results
from ours (states for Q1, value and gradient for Q2). A peer that does not import is
reported as skipped. Run: ``python benchmarks/quantum_vs_peers.py [--big] [--repeats 5]``.
Takes about 2 minutes without ``--big`` on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np

LAYERS_Q1 = 10
LAYERS_Q2 = 4


def q1_angles(n):
    return np.random.default_rng(1).uniform(0, 2 * np.pi, (LAYERS_Q1, n))


def q2_params(n):
    return np.random.default_rng(2).uniform(-np.pi, np.pi, (LAYERS_Q2, n, 2))


# ----------------------------------------------------------------------------- ours
def ours_q1(n):
    from quantum import Circuit, gates
    from quantum.simulator import Simulator

    th = q1_angles(n)
    c = Circuit()
    for layer in range(LAYERS_Q1):
        for q in range(n):
            c += gates.RX(float(th[layer, q])).on(q)
        for q in range(n - 1):
            c += gates.X.on(q + 1, q)

    def run():
        sim = Simulator("cpu", n)
        sim.apply_circuit(c)
        return sim.get_qs
    return run


class _Ham:
    def __init__(self, terms):
        self.terms = terms


def _q2_terms(n):
    terms = [(((i, "Z"), (i + 1, "Z")), 1.0) for i in range(n - 1)]
    terms += [(((i, "X"),), 0.5) for i in range(n)]
    return terms


def ours_q2(n):
    from quantum import Circuit, gates
    from quantum.simulator import Simulator

    c = Circuit()
    for layer in range(LAYERS_Q2):
        for q in range(n):
            c += gates.RY(f"y{layer}_{q}").on(q)
            c += gates.RZ(f"z{layer}_{q}").on(q)
        for q in range(n - 1):
            c += gates.X.on(q + 1, q)
    sim = Simulator("cpu", n)
    ops = sim.get_expectation_with_grad(_Ham(_q2_terms(n)), c)
    x = _flat(q2_params(n))

    def run():
        f, g = ops(x)
        return float(f[0, 0].real), g[0, 0].real
    return run


def _flat(p):
    """Parameter vector in the circuits' order: y{l}_{q}, z{l}_{q} interleaved per qubit."""
    return p.reshape(-1)


# ----------------------------------------------------------------------------- MindQuantum
def mq_q1(n):
    import mindquantum as mq
    from mindquantum.core import gates as G

    th = q1_angles(n)
    c = mq.Circuit()
    for layer in range(LAYERS_Q1):
        for q in range(n):
            c += G.RX(float(th[layer, q])).on(q)
        for q in range(n - 1):
            c += G.X.on(q + 1, q)

    def run():
        sim = mq.Simulator("mqvector", n)
        sim.apply_circuit(c)
        return sim.get_qs
    return run


def mq_q2(n):
    import mindquantum as mq
    from mindquantum.core import gates as G
    from mindquantum.core.operators import Hamiltonian, QubitOperator

    c = mq.Circuit()
    for layer in range(LAYERS_Q2):
        for q in range(n):
            c += G.RY(f"y{layer}_{q}").on(q)
            c += G.RZ(f"z{layer}_{q}").on(q)
        for q in range(n - 1):
            c += G.X.on(q + 1, q)
    op = QubitOperator("", 0)
    for t, coef in _q2_terms(n):
        op += QubitOperator(" ".join(f"{p}{q}" for q, p in t), coef)
    sim = mq.Simulator("mqvector", n)
    ops = sim.get_expectation_with_grad(Hamiltonian(op), c)
    x = _flat(q2_params(n))

    def run():
        f, g = ops(x)
        return float(f[0, 0].real), g[0, 0].real
    return run


# ----------------------------------------------------------------------------- qulacs
def qulacs_q1(n):
    from qulacs import QuantumCircuit, QuantumState
    from qulacs.gate import CNOT, RotX

    th = q1_angles(n)
    c = QuantumCircuit(n)
    for layer in range(LAYERS_Q1):
        for q in range(n):
            c.add_gate(RotX(q, float(th[layer, q])))  # RotX = exp(-i t X/2)
        for q in range(n - 1):
            c.add_gate(CNOT(q, q + 1))

    def run():
        st = QuantumState(n)
        c.update_quantum_state(st)
        return st.get_vector
    return run


def qulacs_q2(n):
    from qulacs import Observable, ParametricQuantumCircuit, QuantumState

    p = q2_params(n)
    c = ParametricQuantumCircuit(n)
    for layer in range(LAYERS_Q2):
        for q in range(n):
            c.add_parametric_RY_gate(q, -p[layer, q, 0])  # qulacs RY = exp(+i t Y/2)
            c.add_parametric_RZ_gate(q, -p[layer, q, 1])
        for q in range(n - 1):
            c.add_CNOT_gate(q, q + 1)
    obs = Observable(n)
    for t, coef in _q2_terms(n):
        obs.add_operator(coef, " ".join(f"{pp} {q}" for q, pp in t))

    def run():
        st = QuantumState(n)
        c.update_quantum_state(st)
        f = obs.get_expectation_value(st)
        g = -np.asarray(c.backprop(obs))
        return float(f), g
    return run


# ----------------------------------------------------------------------------- PennyLane
def pl_q1(n):
    import pennylane as qml

    th = q1_angles(n)
    dev = qml.device("lightning.qubit", wires=n)
    w = lambda q: n - 1 - q  # noqa: E731  (PennyLane wire 0 is the most significant bit)

    @qml.qnode(dev)
    def circ():
        for layer in range(LAYERS_Q1):
            for q in range(n):
                qml.RX(float(th[layer, q]), wires=w(q))
            for q in range(n - 1):
                qml.CNOT(wires=[w(q), w(q + 1)])
        return qml.state()

    def run():
        s = circ()
        return lambda: np.asarray(s)
    return run


def pl_q2(n):
    import pennylane as qml
    from pennylane import numpy as pnp

    dev = qml.device("lightning.qubit", wires=n)
    w = lambda q: n - 1 - q  # noqa: E731
    coeffs, obs = [], []
    for t, coef in _q2_terms(n):
        o = None
        for q, pp in t:
            f = {"X": qml.PauliX, "Z": qml.PauliZ}[pp](w(q))
            o = f if o is None else o @ f
        coeffs.append(coef)
        obs.append(o)
    ham = qml.Hamiltonian(coeffs, obs)

    @qml.qnode(dev, diff_method="adjoint")
    def circ(p):
        for layer in range(LAYERS_Q2):
            for q in range(n):
                qml.RY(p[layer, q, 0], wires=w(q))
                qml.RZ(p[layer, q, 1], wires=w(q))
            for q in range(n - 1):
                qml.CNOT(wires=[w(q), w(q + 1)])
        return qml.expval(ham)

    p = pnp.array(q2_params(n), requires_grad=True)
    value = float(circ(p))  # not timed: qml.grad's adjoint pass runs the forward itself
    grad = qml.grad(circ)

    def run():
        return value, np.asarray(grad(p)).reshape(-1)
    return run


# ----------------------------------------------------------------------------- Qiskit Aer
def aer_q1(n):
    from qiskit import QuantumCircuit, transpile
    from qiskit_aer import AerSimulator

    th = q1_angles(n)
    c = QuantumCircuit(n)
    for layer in range(LAYERS_Q1):
        for q in range(n):
            c.rx(float(th[layer, q]), q)
        for q in range(n - 1):
            c.cx(q, q + 1)
    c.save_statevector()
    threads = int(os.environ.get("OMP_NUM_THREADS", "1"))
    sim = AerSimulator(method="statevector", fusion_enable=False,
                       max_parallel_threads=threads)
    tc = transpile(c, sim, optimization_level=0)

    def run():
        r = sim.run(tc).result()
        return lambda: np.asarray(r.get_statevector())
    return run


def aer_q2(n):
    from qiskit import QuantumCircuit, transpile
    from qiskit.quantum_info import SparsePauliOp
    from qiskit_aer import AerSimulator

    p = q2_params(n)
    c = QuantumCircuit(n)
    for layer in range(LAYERS_Q2):
        for q in range(n):
            c.ry(p[layer, q, 0], q)
            c.rz(p[layer, q, 1], q)
        for q in range(n - 1):
            c.cx(q, q + 1)
    labels = []
    for t, coef in _q2_terms(n):
        s = ["I"] * n
        for q, pp in t:
            s[n - 1 - q] = pp  # Qiskit labels: rightmost = qubit 0
        labels.append(("".join(s), coef))
    op = SparsePauliOp.from_list(labels)
    c.save_expectation_value(op, list(range(n)))
    threads = int(os.environ.get("OMP_NUM_THREADS", "1"))
    sim = AerSimulator(method="statevector", max_parallel_threads=threads)
    tc = transpile(c, sim, optimization_level=0)

    def run():
        r = sim.run(tc).result()
        return float(np.real(r.data(0)["expectation_value"])), None
    return run


PEERS = {
    "mindquantum": ("mindquantum", mq_q1, mq_q2),
    "qulacs": ("qulacs", qulacs_q1, qulacs_q2),
    "pennylane_lightning": ("pennylane_lightning", pl_q1, pl_q2),
    "qiskit_aer": ("qiskit_aer", aer_q1, aer_q2),
}


def _time_interleaved(runs, repeats):
    """Median seconds and last output of each runner; one warm-up call each (numba compile,
    peer JIT/caches), then ``repeats`` rounds that call every runner once in turn, so that
    load drifting on a shared machine hits every library alike."""
    outs = {name: run() for name, run in runs.items()}
    ts = {name: [] for name in runs}
    for _ in range(repeats):
        for name, run in runs.items():
            outs[name] = None  # drop the previous result (a 24-qubit state is 256 MiB)
            t0 = time.perf_counter()
            outs[name] = run()
            ts[name].append(time.perf_counter() - t0)
    return {name: statistics.median(t) for name, t in ts.items()}, outs


def worker(args):
    threads = args.threads
    available, skipped = {}, {}
    for name, (mod, f1, f2) in PEERS.items():
        try:
            __import__(mod)
            available[name] = (f1, f2)
        except Exception as exc:  # noqa: BLE001
            skipped[name] = f"{type(exc).__name__}: {exc}"
    for name, why in skipped.items():
        print(json.dumps({"peer": name, "skipped": why}), flush=True)
    q1_sizes = [16, 20] + ([24] if args.big else [])
    if args.only in (None, "q1"):
        for n in q1_sizes:
            reps = 1 if n >= 24 else args.repeats
            runs = {"ours": ours_q1(n)}
            runs.update({name: f1(n) for name, (f1, _) in available.items()})
            t, outs = _time_interleaved(runs, reps)
            ref = outs.pop("ours")()
            row = {"workload": "Q1", "n_qubits": n, "threads": threads, "repeats": reps,
                   "ours_s": t.pop("ours"), "peers_s": t, "max_dev": {}}
            for name, get in outs.items():
                row["max_dev"][name] = float(np.max(np.abs(np.asarray(get()) - ref)))
            del outs, runs
            _finish(row)
    if args.only in (None, "q2"):
        for n in (8, 12, 16, 20):
            reps = args.repeats if n < 20 else max(3, args.repeats // 2)
            runs = {"ours": ours_q2(n)}
            runs.update({name: f2(n) for name, (_, f2) in available.items()})
            t, outs = _time_interleaved(runs, reps)
            f_ours, g_ours = outs.pop("ours")
            row = {"workload": "Q2", "n_qubits": n, "threads": threads, "repeats": reps,
                   "ours_s": t.pop("ours"), "value": f_ours, "peers_s": t, "max_dev": {}}
            for name, (f, g) in outs.items():
                dev = abs(f - f_ours)
                if g is not None:
                    dev = max(dev, float(np.max(np.abs(np.asarray(g) - g_ours))))
                row["max_dev"][name] = dev
            row["note"] = "qiskit_aer: forward value only (no gradient)"
            _finish(row)


def _finish(row):
    grad_peers = {k: v for k, v in row["peers_s"].items()
                  if not (row["workload"] == "Q2" and k == "qiskit_aer")}
    if grad_peers:
        best = min(grad_peers, key=grad_peers.get)
        row["fastest_peer"] = best
        row["ratio_to_fastest_peer"] = row["ours_s"] / grad_peers[best]
    print(json.dumps(row), flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--big", action="store_true", help="include Q1 at 24 qubits (minutes)")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--threads", type=int, nargs="*", default=[1, 2])
    ap.add_argument("--only", choices=["q1", "q2"], default=None)
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        args.threads = args.threads[0]
        worker(args)
        return
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    for t in args.threads:
        # passive OpenMP waits for every library (``quantum`` sets it for itself on import,
        # too late for a peer's OpenMP runtime loaded before): spinning threads of one
        # library would otherwise steal the cores of the next on a shared machine
        env = dict(os.environ, OMP_NUM_THREADS=str(t), NUMBA_NUM_THREADS=str(t),
                   OMP_WAIT_POLICY="PASSIVE", MKL_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1",
                   PYTHONPATH=root + os.pathsep + os.environ.get("PYTHONPATH", ""))
        cmd = [sys.executable, os.path.abspath(__file__), "--worker", "--threads", str(t),
               "--repeats", str(args.repeats)] + (["--big"] if args.big else [])
        if args.only:
            cmd += ["--only", args.only]
        subprocess.run(cmd, env=env, check=True)


if __name__ == "__main__":
    main()
