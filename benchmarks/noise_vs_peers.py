"""Noisy-circuit benchmark: quantum's density backend vs MindQuantum ``mqmatrix`` and Qiskit Aer.

Workload (double precision): a hardware-efficient ansatz of ``--layers`` layers of
[RY, RZ on every qubit (trainable), CNOT chain], each layer followed by noise on every
qubit: a Pauli channel (depolarizing in Pauli form, p/3 each: MindQuantum 0.12 hangs on
``DepolarizingChannel``), amplitude damping and phase damping. Observable
``H = sum Z_i Z_{i+1} + 0.5 sum X_i``.

* N1: value and full gradient of ``Tr(H rho(theta))`` (ours: adjoint on the density
  matrix; MindQuantum: ``mqmatrix`` ``get_expectation_with_grad``, also adjoint).
* N2: value only (ours: ``get_expectation``; MindQuantum; Aer ``method="density_matrix"``
  with the same Kraus channels, ``save_expectation_value``; Aer has no gradient).

Each thread count runs in its own subprocess (MindQuantum follows OMP_NUM_THREADS, Aer its
own ``max_parallel_threads``; numba NUMBA_NUM_THREADS). First call = warm-up (numba compile
excluded), then the median of ``--repeats`` (one timed call when the warm-up took more than
``SLOW_S`` seconds). Output: one JSON line per (workload, n,
threads) with every library's median seconds, ``ratio_vs_<peer>`` = ours / peer (< 1: we
are faster) and the max deviation of the peers' values and gradients from ours.
Run: ``python benchmarks/noise_vs_peers.py [--qubits 8 10] [--threads 1 2] [--repeats 3]``.
About 6 minutes on 2 cores with the defaults, most of it MindQuantum's gradient at 10
qubits (~70 s a call).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

P_DEP, G_AD, G_PD = 0.01, 0.02, 0.03
#: calls slower than this (warm-up) are timed once instead of ``--repeats`` times
SLOW_S = 5.0


def params(n, layers):
    return np.random.default_rng(5).uniform(-np.pi, np.pi, layers * n * 2)


def ham_terms(n):
    return [(f"Z{i} Z{i + 1}", 1.0) for i in range(n - 1)] + [(f"X{i}", 0.5) for i in range(n)]


def _build(G, Circuit, n, layers):
    c = Circuit()
    k = 0
    for _ in range(layers):
        for q in range(n):
            c += G.RY(f"t{k}").on(q)
            c += G.RZ(f"t{k + 1}").on(q)
            k += 2
        for q in range(n - 1):
            c += G.X.on(q + 1, q)
        for q in range(n):
            c += G.PauliChannel(P_DEP / 3, P_DEP / 3, P_DEP / 3).on(q)
            c += G.AmplitudeDampingChannel(G_AD).on(q)
            c += G.PhaseDampingChannel(G_PD).on(q)
    return c


def ours(n, layers):
    from quantum import Circuit, Hamiltonian, QubitOperator, Simulator, gates

    c = _build(gates, Circuit, n, layers)
    h = Hamiltonian(sum((QubitOperator(t, w) for t, w in ham_terms(n)), QubitOperator()))
    ops = Simulator("density", n).get_expectation_with_grad(h, c)
    names = c.params_name

    def grad(x):
        f, g = ops(x)
        return f[0, 0].real, g[0, 0].real

    def value(x):
        return Simulator("density", n).get_expectation(h, c, pr=dict(zip(names, x, strict=True))).real

    return grad, value


def mindquantum(n, layers):
    import mindquantum as mq
    from mindquantum.core import gates as G
    from mindquantum.core.circuit import Circuit
    from mindquantum.core.operators import Hamiltonian, QubitOperator

    c = _build(G, Circuit, n, layers)
    h = Hamiltonian(sum((QubitOperator(t, w) for t, w in ham_terms(n)), QubitOperator()))
    ops = mq.simulator.Simulator("mqmatrix", n).get_expectation_with_grad(h, c)
    names = c.params_name

    def grad(x):
        f, g = ops(x)
        return f[0, 0].real, g[0, 0].real

    def value(x):
        sim = mq.simulator.Simulator("mqmatrix", n)
        return sim.get_expectation(h, c, pr=dict(zip(names, x, strict=True))).real

    return grad, value


def aer(n, layers, threads):
    from qiskit import QuantumCircuit
    from qiskit.quantum_info import Kraus, SparsePauliOp
    from qiskit_aer import AerSimulator

    from quantum import gates

    chans = [Kraus(ch.kraus_operators()) for ch in (
        gates.PauliChannel(P_DEP / 3, P_DEP / 3, P_DEP / 3),
        gates.AmplitudeDampingChannel(G_AD), gates.PhaseDampingChannel(G_PD))]
    # qiskit labels: qubit 0 is the rightmost character
    labels, coeffs = [], []
    for t, w in ham_terms(n):
        s = ["I"] * n
        for tok in t.split():
            s[n - 1 - int(tok[1:])] = tok[0]
        labels.append("".join(s))
        coeffs.append(w)
    obs = SparsePauliOp(labels, coeffs)
    sim = AerSimulator(method="density_matrix", max_parallel_threads=threads)

    def value(x):
        qc = QuantumCircuit(n)
        k = 0
        for _ in range(layers):
            for q in range(n):
                qc.ry(x[k], q)
                qc.rz(x[k + 1], q)
                k += 2
            for q in range(n - 1):
                qc.cx(q, q + 1)
            for q in range(n):
                for ch in chans:
                    qc.append(ch, [q])
        qc.save_expectation_value(obs, list(range(n)))
        return float(np.real(sim.run(qc).result().data()["expectation_value"]))

    return value


def timed(fn, x, repeats):
    t0 = time.perf_counter()
    out = fn(x)  # warm-up
    if time.perf_counter() - t0 > SLOW_S:
        repeats = 1  # a call this long is timed once (MindQuantum N1 at 10 qubits: ~70 s)
    ts = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn(x)
        ts.append(time.perf_counter() - t0)
    return statistics.median(ts), out


def run_one(n, layers, threads, repeats):
    x = params(n, layers)
    g_ours, v_ours = ours(n, layers)
    t_g, (f0, g0) = timed(g_ours, x, repeats)
    t_v, v0 = timed(v_ours, x, repeats)
    n1 = {"workload": "N1_noisy_value_and_grad", "n_qubits": n, "layers": layers,
          "threads": threads, "n_params": len(x), "ours_s": t_g}
    n2 = {"workload": "N2_noisy_value", "n_qubits": n, "layers": layers, "threads": threads,
          "ours_s": t_v}
    try:
        g_mq, v_mq = mindquantum(n, layers)
        t, (f1, g1) = timed(g_mq, x, repeats)
        n1.update(mindquantum_s=t, ratio_vs_mindquantum=t_g / t,
                  max_dev_mindquantum=float(max(abs(f1 - f0), np.max(np.abs(g1 - g0)))))
        t, v1 = timed(v_mq, x, repeats)
        n2.update(mindquantum_s=t, ratio_vs_mindquantum=t_v / t,
                  max_dev_mindquantum=abs(v1 - v0))
    except ImportError as e:
        n1["mindquantum"] = n2["mindquantum"] = f"skipped ({e})"
    try:
        v_aer = aer(n, layers, threads)
        t, v2 = timed(v_aer, x, repeats)
        n2.update(aer_s=t, ratio_vs_aer=t_v / t, max_dev_aer=abs(v2 - v0))
    except ImportError as e:
        n2["aer"] = f"skipped ({e})"
    for rec in (n1, n2):
        print(json.dumps(rec), flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--qubits", type=int, nargs="+", default=[8, 10])
    ap.add_argument("--layers", type=int, default=3)
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        for n in a.qubits:
            run_one(n, a.layers, a.threads[0], a.repeats)
        return
    for th in a.threads:
        env = dict(os.environ, OMP_NUM_THREADS=str(th), NUMBA_NUM_THREADS=str(th),
                   PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
        cmd = [sys.executable, __file__, "--child", "--threads", str(th), "--layers",
               str(a.layers), "--repeats", str(a.repeats), "--qubits", *map(str, a.qubits)]
        subprocess.run(cmd, env=env, check=True)


if __name__ == "__main__":
    main()
