"""Force-matching training step: core_autodiff vs PyTorch (CPU), same workload, one run.

Workload (issue 2): an MLP energy model (3 hidden layers of 128, SiLU) on
Gaussian pair features of 64 molecules x 32 atoms (all 992 ordered pairs per
molecule, 16 radial basis functions summed per atom); loss = energy MSE +
force MSE, forces = -dE/dx by a recorded (create_graph) gradient; then the
gradient of the loss w.r.t. all weights (second order) and one Adam step.

Both implementations start from the same weights and data; the script checks
that loss and weight gradients agree before timing. Each thread count runs in
its own subprocess (BLAS, numba and torch threads are fixed at start-up).
Prints one JSON line per thread count: medians of repeated steps (warm-up
excluded, so numba compilation is not timed) and the ratio ours / torch.

    python benchmarks/autodiff_vs_torch.py [--threads 1 2] [--repeats 20]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

N_MOL, N_ATOM, N_RBF, HIDDEN = 64, 32, 16, 128


def make_data(seed: int = 0):
    import numpy as np

    rng = np.random.default_rng(seed)
    pos = rng.uniform(0.0, 1.2, (N_MOL * N_ATOM, 3))  # nm
    e_ref = rng.standard_normal(N_MOL)
    f_ref = rng.standard_normal((N_MOL * N_ATOM, 3))
    a, b = np.meshgrid(np.arange(N_ATOM), np.arange(N_ATOM), indexing="ij")
    mask = a != b
    base = (np.arange(N_MOL) * N_ATOM)[:, None]
    i = (base + a[mask][None, :]).reshape(-1)
    j = (base + b[mask][None, :]).reshape(-1)
    mol = np.repeat(np.arange(N_MOL), N_ATOM)
    mu = np.linspace(0.0, 1.5, N_RBF)
    sizes = [N_RBF, HIDDEN, HIDDEN, HIDDEN, 1]
    weights = []
    for k in range(len(sizes) - 1):
        lim = np.sqrt(6.0 / (sizes[k] + sizes[k + 1]))
        weights.append(rng.uniform(-lim, lim, (sizes[k], sizes[k + 1])))
        weights.append(np.zeros(sizes[k + 1]))
    return dict(pos=pos, e_ref=e_ref, f_ref=f_ref, i=i, j=j, mol=mol, mu=mu, weights=weights)


GAMMA = 10.0
W_FORCE = 0.1


def ours_step_fn(d):
    import numpy as np

    import core_autodiff as ad

    params = [ad.nn.Parameter(w.copy()) for w in d["weights"]]
    opt = ad.optim.Adam(params, lr=1e-3)
    i, j, mol, mu = d["i"], d["j"], d["mol"], d["mu"]
    n = d["pos"].shape[0]
    pos, e_ref, f_ref = d["pos"], d["e_ref"], d["f_ref"]

    def energy(x):
        r = ad.safe_norm(ad.take(x, i) - ad.take(x, j), axis=-1)
        g = ad.exp(-GAMMA * ad.square(ad.reshape(r, (-1, 1)) - mu))
        h = ad.segment_sum(g, i, n)
        for k in range(0, len(params) - 2, 2):
            h = ad.silu(ad.linear(h, params[k], params[k + 1]))
        e_atom = ad.linear(h, params[-2], params[-1])
        return ad.reshape(ad.segment_sum(e_atom, mol, N_MOL), (N_MOL,))

    def loss_fn():
        x = ad.tensor(pos, requires_grad=True)
        e = energy(x)
        (gx,) = ad.autograd(e.sum(), x, create_graph=True)
        de = e - e_ref
        df = gx + f_ref  # forces = -gx
        return ad.mean(de * de) + W_FORCE * ad.mean(df * df)

    def step(update=True):
        loss, grads = ad.value_and_grad(loss_fn, argnums=None, params=params)()
        if update:
            opt.step(grads)
        return float(loss.numpy()), [g.numpy() for g in grads]

    del np
    return step


def torch_step_fn(d):
    import torch

    params = [torch.tensor(w.copy(), requires_grad=True) for w in d["weights"]]
    opt = torch.optim.Adam(params, lr=1e-3)
    i = torch.as_tensor(d["i"])
    j = torch.as_tensor(d["j"])
    mol = torch.as_tensor(d["mol"])
    mu = torch.as_tensor(d["mu"])
    pos = torch.as_tensor(d["pos"])
    e_ref = torch.as_tensor(d["e_ref"])
    f_ref = torch.as_tensor(d["f_ref"])
    n = pos.shape[0]

    def energy(x):
        r = (x.index_select(0, i) - x.index_select(0, j)).norm(dim=-1)
        g = torch.exp(-GAMMA * (r[:, None] - mu) ** 2)
        h = torch.zeros(n, N_RBF, dtype=g.dtype).index_add_(0, i, g)
        for k in range(0, len(params) - 2, 2):
            h = torch.nn.functional.silu(torch.addmm(params[k + 1], h, params[k]))
        e_atom = torch.addmm(params[-1], h, params[-2])
        return torch.zeros(N_MOL, 1, dtype=g.dtype).index_add_(0, mol, e_atom).reshape(N_MOL)

    def step(update=True):
        x = pos.clone().requires_grad_(True)
        e = energy(x)
        (gx,) = torch.autograd.grad(e.sum(), x, create_graph=True)
        loss = ((e - e_ref) ** 2).mean() + W_FORCE * ((gx + f_ref) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        grads = [p.grad.detach().numpy().copy() for p in params]
        if update:
            opt.step()
        return float(loss.detach()), grads

    return step


def worker(threads: int, repeats: int) -> dict:
    import numpy as np
    import torch

    torch.set_num_threads(threads)
    import numba

    numba.set_num_threads(threads)
    d = make_data()
    ours = ours_step_fn(d)
    theirs = torch_step_fn(d)
    l1, g1 = ours(update=False)
    l2, g2 = theirs(update=False)
    grad_err = max(float(np.max(np.abs(a - b)) / (np.max(np.abs(b)) + 1e-300))
                   for a, b in zip(g1, g2, strict=True))
    if abs(l1 - l2) > 1e-9 * abs(l2) or grad_err > 1e-9:
        raise SystemExit(f"implementations disagree: loss {l1} vs {l2}, grad rel err {grad_err}")
    times = {"core_autodiff": [], "torch": []}
    for _ in range(2):  # warm-up (numba compilation, allocator)
        ours()
        theirs()
    for _ in range(repeats):  # interleaved, so drifts of machine speed hit both
        t0 = time.perf_counter()
        ours()
        t1 = time.perf_counter()
        theirs()
        t2 = time.perf_counter()
        times["core_autodiff"].append(t1 - t0)
        times["torch"].append(t2 - t1)
    med = {k: float(np.median(v)) for k, v in times.items()}
    ratios = [a / b for a, b in zip(times["core_autodiff"], times["torch"], strict=True)]
    return {
        "benchmark": "force_matching_train_step",
        "molecules": N_MOL, "atoms_per_molecule": N_ATOM, "pairs": int(d["i"].size),
        "mlp": [N_RBF, HIDDEN, HIDDEN, HIDDEN, 1], "dtype": "float64",
        "threads": threads, "repeats": repeats,
        "core_autodiff_s": med["core_autodiff"], "torch_s": med["torch"],
        "ratio_ours_over_torch": med["core_autodiff"] / med["torch"],
        "ratio_median_of_pairs": float(np.median(ratios)),
        "loss_rel_diff": abs(l1 - l2) / abs(l2), "grad_max_rel_diff": grad_err,
        "torch_version": torch.__version__,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--repeats", type=int, default=20)
    ap.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker is not None:
        print(json.dumps(worker(args.worker, args.repeats)))
        return
    try:
        import torch  # noqa: F401
    except ImportError:
        raise SystemExit("PyTorch is not installed: pip install .[bench]") from None
    for t in args.threads:
        env = dict(os.environ, OMP_NUM_THREADS=str(t), OPENBLAS_NUM_THREADS=str(t),
                   MKL_NUM_THREADS=str(t), NUMBA_NUM_THREADS=str(t))
        out = subprocess.run([sys.executable, __file__, "--worker", str(t),
                              "--repeats", str(args.repeats)], env=env, check=True,
                             capture_output=True, text=True)
        print(out.stdout.strip().splitlines()[-1], flush=True)


if __name__ == "__main__":
    main()
