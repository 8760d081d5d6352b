"""QAOA for MaxCut on a random 3-regular graph, checked against the exact optimum.

Problem: split the nodes of a graph in two so that as many edges as possible
cross (MaxCut, NP-hard). QAOA (Farhi et al., arXiv:1411.4028) prepares
``|gamma, beta> = prod_p exp(-i beta_p B) exp(-i gamma_p C) |+>^n`` with the cut
operator ``C = sum_(ij) (1 - Z_i Z_j) / 2`` and the mixer ``B = sum_i X_i``, and
maximises ``<C>`` over the ``2p`` angles (here BFGS with adjoint gradients, or
core_autodiff Adam). Sampling the trained state gives candidate cuts; the best
sampled cut is compared with the brute-force maximum.

Default: a random 3-regular graph on 12 nodes (18 edges), p = 4, BFGS, 1000
shots; about 5-10 s on 2 cores. Measured (seed 0): <C>/C_max = 0.940 after 30
evaluations, and the best (and the most frequent) sampled cut equals the exact
maximum cut, 16. ``--quick`` (8 nodes, p = 2) runs in a
couple of seconds and is checked in CI.

    python examples/quantum/qaoa_maxcut.py [--nodes 12] [--depth 4] [--method BFGS|adam]
                                           [--edges "0-1,1-2,..."] [--quick] [--seed 0]
"""

from __future__ import annotations

import argparse
import json
import time

import networkx as nx

from quantum.qaoa import MaxCutAnsatz, as_edges, brute_force_maxcut, solve_maxcut


def parse_edges(text: str) -> list[tuple[int, int]]:
    """``"0-1,1-2,2-0"`` -> ``[(0, 1), (1, 2), (2, 0)]``."""
    out = []
    for k, item in enumerate(text.split(",")):
        try:
            a, b = item.strip().split("-")
            out.append((int(a), int(b)))
        except ValueError:
            raise ValueError(f"--edges item {k} {item!r}: expected 'i-j'") from None
    return out


def run(graph, depth: int = 4, method: str = "BFGS", shots: int = 1000, seed: int = 0,
        maxiter: int = 300, verbose: bool = True) -> dict:
    """Train QAOA on ``graph``; returns a summary dict (also printed as one JSON line)."""
    edges, n = as_edges(graph)
    t0 = time.perf_counter()
    best, optimal = brute_force_maxcut(edges)
    t_brute = time.perf_counter() - t0
    if verbose:
        print(f"graph: {n} nodes, {len(edges)} edges; exact maximum cut {best:g} "
              f"({len(optimal)} optimal strings, brute force {t_brute:.2f} s)")

    def progress(k: int, value: float) -> None:
        if verbose and k % 20 == 0:
            print(f"  evaluation {k:4d}  <C> = {value:.5f}")

    t0 = time.perf_counter()
    res = solve_maxcut(edges, depth=depth, method=method, shots=shots, seed=seed,
                       maxiter=maxiter, lr=0.05, callback=progress)
    elapsed = time.perf_counter() - t0
    summary = {
        "nodes": n, "edges": len(edges), "depth": depth, "method": method,
        "expectation": round(res.expectation, 6),
        "approximation_ratio": round(res.expectation / best, 6),
        "best_sampled_cut": res.cut, "exact_max_cut": best,
        "found_optimum": res.cut == best,
        "most_frequent_cut": res.most_frequent[1],
        "partition": res.partition, "evaluations": res.n_evaluations,
        "seconds": round(elapsed, 3),
    }
    if verbose:
        ansatz = MaxCutAnsatz(edges, depth)
        print(f"trained in {elapsed:.2f} s, {res.n_evaluations} evaluations "
              f"({len(ansatz.circuit)} gates)")
        print(f"<C> = {res.expectation:.4f}, ratio to the optimum {res.expectation / best:.4f}")
        print(f"best sampled cut {res.cut:g} (exact {best:g}); most frequent sample cuts "
              f"{res.most_frequent[1]:g}; partition {res.partition}")
        print(json.dumps(summary))
    return summary


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--nodes", type=int, default=12)
    p.add_argument("--depth", type=int, default=4)
    p.add_argument("--method", default="BFGS", help="scipy method or 'adam'")
    p.add_argument("--edges", default=None, help="explicit edge list 'i-j,k-l,...'")
    p.add_argument("--shots", type=int, default=1000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--quick", action="store_true", help="8 nodes, depth 2 (CI)")
    args = p.parse_args(argv)
    if args.quick:
        args.nodes, args.depth = 8, 2
    graph = (parse_edges(args.edges) if args.edges
             else nx.random_regular_graph(3, args.nodes, seed=args.seed))
    return run(graph, args.depth, args.method, args.shots, args.seed)


if __name__ == "__main__":
    main()
