"""Quantum machine learning workloads, this suite against MindQuantum in one process.

1. ``layer``: one training step of a batched quantum layer, forward values and the
   gradients to inputs and weights: ``QuantumLayer(x)`` + ``backward()`` through
   core_autodiff here, MindQuantum's ``grad_ops(x, w)`` (what ``MQLayer`` calls;
   MindSpore itself is not installed). Hardware-efficient circuit, angle encoding.
2. ``qaoa``: a whole QAOA-MaxCut optimisation on a random 3-regular graph, p = 4,
   ``scipy.optimize.minimize(method="BFGS", jac=True)`` from the same start with the
   same tolerance, each side using its own adjoint gradients (the issue-7 workload).

Medians of repeats after a warm-up (numba compile time excluded). One JSON line
per case with both times and ``ratio = ours / mindquantum`` (below 1: we are
faster).

    python benchmarks/qml_vs_mindquantum.py [--qubits 8 12] [--qaoa-nodes 12 16] [--repeats 5]
"""

from __future__ import annotations

import argparse
import json
import time

import networkx as nx
import numpy as np
from scipy.optimize import minimize

import core_autodiff as ad
from quantum import Circuit, Hamiltonian, QuantumLayer, QubitOperator, Simulator, gates
from quantum.qaoa import MaxCutAnsatz


def _median_time(fn, repeats: int) -> float:
    fn()  # warm-up: compilation, caches
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def hea(C, G, n: int, layers: int):
    """Angle encoding RY(x_q) then ``layers`` of RY, RZ and a CNOT chain (both libraries)."""
    enc = C()
    for q in range(n):
        enc += G.RY(f"x{q}").on(q)
    ans = C()
    for k in range(layers):
        for q in range(n):
            ans += G.RY(f"a{k}_{q}").on(q)
            ans += G.RZ(f"b{k}_{q}").on(q)
        for q in range(n - 1):
            ans += G.X.on(q + 1, q)
    return enc.as_encoder() + ans.as_ansatz()


def bench_layer(n: int, batch: int, layers: int, repeats: int, threads: int) -> dict:
    import mindquantum as mq
    import mindquantum.core.gates as MG
    from mindquantum.core.circuit import Circuit as MC
    from mindquantum.core.operators import Hamiltonian as MH
    from mindquantum.core.operators import QubitOperator as MQO

    rng = np.random.default_rng(0)
    x = rng.uniform(-np.pi, np.pi, (batch, n))
    layer = QuantumLayer(hea(Circuit, gates, n, layers),
                         [QubitOperator(f"Z{q}") for q in range(4)], weight="uniform", seed=0,
                         parallel_worker=threads)
    w = layer.weight.data.copy()

    def ours():
        xt = ad.tensor(x, requires_grad=True)
        layer.zero_grad()
        layer(xt).sum().backward()
        return xt.grad

    mops = mq.simulator.Simulator("mqvector", n).get_expectation_with_grad(
        [MH(MQO(f"Z{q}")) for q in range(4)], hea(MC, MG, n, layers), parallel_worker=threads)

    def theirs():
        return mops(x, w)

    # same numbers first
    f, g_enc, g_ans = theirs()
    xt = ad.tensor(x, requires_grad=True)
    layer.zero_grad()
    layer(xt).sum().backward()
    err = max(float(np.abs(xt.grad.data - g_enc.real.sum(1)).max()),
              float(np.abs(layer.weight.grad.data - g_ans.real.sum((0, 1))).max()))
    t_ours, t_mq = _median_time(ours, repeats), _median_time(theirs, repeats)
    return {"case": "layer_step", "qubits": n, "batch": batch, "params": len(w),
            "hams": 4, "threads": threads, "ours_s": t_ours, "mindquantum_s": t_mq,
            "ratio": t_ours / t_mq, "max_grad_diff": err}


def bench_qaoa(n: int, depth: int, repeats: int, threads: int) -> dict:
    import mindquantum as mq
    from mindquantum.algorithm.nisq import MaxCutAnsatz as MQMaxCut
    from mindquantum.core.operators import Hamiltonian as MH

    graph = [tuple(int(v) for v in e) for e in nx.random_regular_graph(3, n, seed=1).edges]
    ours_ans, mq_ans = MaxCutAnsatz(graph, depth), MQMaxCut(graph, depth)
    ops = Simulator("cpu", n).get_expectation_with_grad(Hamiltonian(-ours_ans.hamiltonian),
                                                        ours_ans.circuit, parallel_worker=threads)
    mops = mq.simulator.Simulator("mqvector", n).get_expectation_with_grad(
        MH(-mq_ans.hamiltonian), mq_ans.circuit, parallel_worker=threads)
    # both ansatz use the parameter order gamma_0, beta_0, gamma_1, ... ; check it
    assert list(mops.ansatz_params_name) == ours_ans.params_name
    x0 = np.random.default_rng(2).uniform(-0.5, 0.5, 2 * depth)

    def fun_of(grad_ops):
        def fun(x):
            f, g = grad_ops(x)
            return float(f.real[0, 0]), np.asarray(g.real[0, 0])
        return fun

    results = {}

    def run(name, grad_ops):
        def go():
            results[name] = minimize(fun_of(grad_ops), x0, jac=True, method="BFGS",
                                     options={"gtol": 1e-6, "maxiter": 500})
        return go

    t_ours = _median_time(run("ours", ops), repeats)
    t_mq = _median_time(run("mq", mops), repeats)
    r, m = results["ours"], results["mq"]
    return {"case": "qaoa_bfgs", "qubits": n, "edges": len(graph), "depth": depth,
            "threads": threads, "ours_s": t_ours, "mindquantum_s": t_mq, "ratio": t_ours / t_mq,
            "ours_nfev": int(r.nfev), "mindquantum_nfev": int(m.nfev),
            "ours_cut_expectation": -float(r.fun), "mindquantum_cut_expectation": -float(m.fun)}


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--qubits", type=int, nargs="*", default=[8, 12])
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--layers", type=int, default=4)
    p.add_argument("--qaoa-nodes", type=int, nargs="*", default=[12, 16])
    p.add_argument("--depth", type=int, default=4)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args(argv)
    for n in args.qubits:
        print(json.dumps(bench_layer(n, args.batch, args.layers, args.repeats, args.threads)),
              flush=True)
    for n in args.qaoa_nodes:
        print(json.dumps(bench_qaoa(n, args.depth, max(1, args.repeats // 2), args.threads)),
              flush=True)


if __name__ == "__main__":
    main()
