"""SchNet-style potential: sponge/core_autodiff vs PyTorch (CPU), same model, same pairs.

Workloads, each in one process per thread count, interleaved repeats:
- MD: energy + forces (-dE/dx) of a periodic water box (default 216 waters,
  648 atoms), the work of one MD step with a neural potential:
  ``NeuralPotential.energy_forces`` (for SchNet the fused first-order path,
  sponge/ml/schnet_fused.py), and the same through the autodiff tape
  (``md_energy_forces_autodiff``, the path of models without a fused one);
- training: one force-matching step (energy + force loss, second-order
  gradient w.r.t. all weights, Adam update) on a batch of 4 configurations.
Both use the same weights, the same dtype (float64 and float32 runs, each
side in that precision: torch's CPU default is float32) and the same pair list
(sponge's neighbour list); the script checks that energies, forces and weight
gradients agree (1e-9 relative in float64, 2e-4 in float32) before timing.
Prints JSON lines with medians and the ratio ours / torch.

    python benchmarks/mlff_vs_torch.py [--threads 1 2] [--waters 216] [--repeats 15]
                                       [--dtypes float64 float32]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

F, N_INT, N_RBF, CUTOFF = 64, 3, 32, 0.5


def water_box(n_waters: int, seed: int = 0):
    import numpy as np

    rng = np.random.default_rng(seed)
    side = int(np.ceil(n_waters ** (1 / 3)))
    spacing = 0.3107  # nm, ~1 g/cm^3
    grid = np.array([[i, j, k] for i in range(side) for j in range(side)
                     for k in range(side)], float)[:n_waters] * spacing
    o = grid + rng.normal(0, 0.01, grid.shape)
    pos = np.stack([o, o + [0.0957, 0, 0], o + [-0.024, 0.0927, 0]], 1).reshape(-1, 3)
    return np.tile([0, 1, 1], n_waters), pos, np.eye(3) * side * spacing


def torch_schnet(model):
    """The same SchNet in PyTorch, weights copied from the sponge model."""
    import torch

    # one torch leaf per sponge parameter, in sponge's order (so gradients line up)
    named = {n: torch.tensor(p.data, requires_grad=True)
             for n, p in model.named_parameters()}
    params = list(named.values())
    emb = named["embedding"]
    blocks = []
    for k in range(len(model.interactions)):
        pre = f"interactions.{k}."
        blocks.append({n: named[pre + n + ".weight"] for n in
                       ("filter1", "filter2", "in2f", "f2out", "dense")}
                      | {n + "_b": named[pre + n + ".bias"] for n in
                         ("filter1", "filter2", "f2out", "dense")})
    out = {"w1": named["out1.weight"], "b1": named["out1.bias"], "w2": named["out2.weight"],
           "b2": named["out2.bias"], "shift": named["atom_shift"]}
    centers = torch.tensor(model.centers)
    gamma, cutoff = model.gamma, model.cutoff
    ssp = lambda x: torch.nn.functional.softplus(x) - 0.6931471805599453  # noqa: E731

    def energies(species, i, j, shift, mol, n_mol, x):
        d = x.index_select(0, j) - x.index_select(0, i) + shift
        r = torch.sqrt((d * d).sum(-1))
        rbf = torch.exp(-gamma * (r[:, None] - centers) ** 2)
        fc = torch.where(r < cutoff, 0.5 * (torch.cos(r * torch.pi / cutoff) + 1), 0.0)
        h = emb.index_select(0, species)
        for b in blocks:
            w = torch.addmm(b["filter2_b"], ssp(torch.addmm(b["filter1_b"], rbf, b["filter1"])),
                            b["filter2"]) * fc[:, None]
            xf = h @ b["in2f"]
            m = torch.zeros_like(xf).index_add_(0, i, xf.index_select(0, j) * w)
            v = torch.addmm(b["dense_b"], ssp(torch.addmm(b["f2out_b"], m, b["f2out"])),
                            b["dense"])
            h = h + v
        e = torch.addmm(out["b2"], ssp(torch.addmm(out["b1"], h, out["w1"])), out["w2"])
        e = e.reshape(-1) + out["shift"].index_select(0, species)
        return torch.zeros(n_mol, dtype=e.dtype).index_add_(0, mol, e)

    return energies, params


def worker(threads: int, n_waters: int, repeats: int, dtype_name: str) -> list[dict]:
    import numba
    import numpy as np
    import torch

    import core_autodiff as ad
    from sponge.ml import NeuralPotential, SchNet, build_graph
    from sponge.neighbor_list import minimum_image

    torch.set_num_threads(threads)
    numba.set_num_threads(threads)
    species, pos, box = water_box(n_waters)
    dt = np.dtype(dtype_name)
    tol = 1e-9 if dt == np.float64 else 2e-4
    model = SchNet(2, n_features=F, n_interactions=N_INT, n_rbf=N_RBF, cutoff=CUTOFF, seed=0,
                   dtype=dt)
    pot = NeuralPotential(model, species=species, skin=0.0)
    t_energies, t_params = torch_schnet(model)
    g = pot._graph_for(pos, box)
    shift = minimum_image(pos[g.j] - pos[g.i], box) - (pos[g.j] - pos[g.i])
    ti, tj = torch.as_tensor(g.i), torch.as_tensor(g.j)
    tsp, tmol = torch.as_tensor(species), torch.zeros(len(pos), dtype=torch.int64)
    tshift = torch.as_tensor(shift.astype(dt))

    def ours_md():  # NeuralPotential's MD path (SchNet: the fused first-order kernels)
        return pot.energy_forces(pos, box)

    def ours_md_autodiff():  # the same through the autodiff tape (weights frozen)
        x = ad.tensor(pos.astype(dt), requires_grad=True)
        e = model.energies(g, x).sum()
        (gx,) = ad.autograd(e, x)
        return float(e.numpy()), -gx.numpy()

    def torch_md():
        x = torch.tensor(pos.astype(dt), requires_grad=True)
        e = t_energies(tsp, ti, tj, tshift, tmol, 1, x).sum()
        (gx,) = torch.autograd.grad(e, x)
        return float(e.detach()), -gx.numpy()

    for p in model.parameters():
        p.requires_grad = False
    e2, f2 = torch_md()
    for ours in (ours_md, ours_md_autodiff):
        e1, f1 = ours()
        if abs(e1 - e2) > tol * max(1, abs(e1)) or np.abs(f1 - f2).max() > tol * np.abs(f2).max():
            raise SystemExit(f"MD disagreement ({ours.__name__}): {e1} vs {e2}, "
                             f"forces {np.abs(f1 - f2).max()}")

    # training on a batch of 4 perturbed configurations
    rng = np.random.default_rng(1)
    confs = pos[None] + rng.normal(0, 0.003, (4,) + pos.shape)
    e_ref = rng.standard_normal(4).astype(dt)
    f_ref = rng.standard_normal(confs.shape).reshape(-1, 3).astype(dt)
    gb = build_graph(species, confs, np.broadcast_to(box, (4, 3, 3)), CUTOFF)
    flat = confs.reshape(-1, 3)
    shift_b = minimum_image(flat[gb.j] - flat[gb.i], box) - (flat[gb.j] - flat[gb.i])
    flat = flat.astype(dt)
    params = model.parameters()
    for p in params:
        p.requires_grad = True
    opt = ad.optim.Adam(params, lr=1e-4)
    topt = torch.optim.Adam(t_params, lr=1e-4)
    bi, bj = torch.as_tensor(gb.i), torch.as_tensor(gb.j)
    bsp, bmol = torch.as_tensor(gb.species), torch.as_tensor(gb.mol)
    bshift = torch.as_tensor(shift_b.astype(dt))
    t_eref, t_fref = torch.as_tensor(e_ref), torch.as_tensor(f_ref)

    def ours_loss():
        x = ad.tensor(flat, requires_grad=True)
        e = model.energies(gb, x)
        (gx,) = ad.autograd(e.sum(), x, create_graph=True)
        return ad.mean((e - e_ref) ** 2) + ad.mean((gx + f_ref) ** 2)

    step = ad.value_and_grad(ours_loss, argnums=None, params=params)

    def ours_train(update=True):
        loss, grads = step()
        if update:
            opt.step(grads)
        return float(loss.numpy()), [gr.numpy() for gr in grads]

    def torch_train(update=True):
        x = torch.tensor(flat, requires_grad=True)
        e = t_energies(bsp, bi, bj, bshift, bmol, 4, x)
        (gx,) = torch.autograd.grad(e.sum(), x, create_graph=True)
        loss = ((e - t_eref) ** 2).mean() + ((gx + t_fref) ** 2).mean()
        topt.zero_grad()
        loss.backward()
        grads = [p.grad.numpy().copy() for p in t_params]
        if update:
            topt.step()
        return float(loss.detach()), grads

    l1, g1 = ours_train(False)
    l2, g2 = torch_train(False)
    gerr = max(float(np.abs(a.reshape(-1) - b.reshape(-1)).max() / (np.abs(b).max() + 1e-300))
               for a, b in zip(g1, g2, strict=True))
    if abs(l1 - l2) > tol * abs(l2) or gerr > 10 * tol:
        raise SystemExit(f"training disagreement: loss {l1} vs {l2}, grad rel err {gerr}")

    out = []
    for name, fa, fb in (("md_energy_forces", ours_md, torch_md),
                         ("md_energy_forces_autodiff", ours_md_autodiff, torch_md),
                         ("train_step", ours_train, torch_train)):
        for p in params:  # MD runs with frozen weights, training with trainable ones
            p.requires_grad = name == "train_step"
        for _ in range(2):
            fa()
            fb()
        ta, tb = [], []
        for _ in range(repeats):
            t0 = time.perf_counter()
            fa()
            t1 = time.perf_counter()
            fb()
            t2 = time.perf_counter()
            ta.append(t1 - t0)
            tb.append(t2 - t1)
        ma, mb = float(np.median(ta)), float(np.median(tb))
        rec = {"benchmark": f"schnet_{name}", "atoms": len(pos), "pairs": int(g.i.size),
               "features": F, "interactions": N_INT, "threads": threads, "repeats": repeats,
               "dtype": dtype_name,
               "sponge_s": ma, "torch_s": mb, "ratio_ours_over_torch": ma / mb,
               "ratio_median_of_pairs": float(np.median(np.array(ta) / np.array(tb)))}
        if name.startswith("md_"):
            rec.update(sponge_steps_per_s=1 / ma, torch_steps_per_s=1 / mb)
        else:
            rec.update(sponge_configs_per_s=4 / ma, torch_configs_per_s=4 / mb)
        out.append(rec)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--waters", type=int, default=216)
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--dtypes", nargs="+", default=["float64", "float32"],
                    choices=["float64", "float32"], help="same dtype on both sides")
    ap.add_argument("--dtype", default="float64", help=argparse.SUPPRESS)
    ap.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker is not None:
        for rec in worker(args.worker, args.waters, args.repeats, args.dtype):
            print(json.dumps(rec))
        return
    try:
        import torch  # noqa: F401
    except ImportError:
        raise SystemExit("PyTorch is not installed: pip install .[bench]") from None
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    for dtype, t in [(d, t) for d in args.dtypes for t in args.threads]:
        env = dict(os.environ, OMP_NUM_THREADS=str(t), OPENBLAS_NUM_THREADS=str(t),
                   MKL_NUM_THREADS=str(t), NUMBA_NUM_THREADS=str(t),
                   PYTHONPATH=root + os.pathsep + os.environ.get("PYTHONPATH", ""))
        res = subprocess.run([sys.executable, __file__, "--worker", str(t), "--waters",
                              str(args.waters), "--repeats", str(args.repeats), "--dtype", dtype],
                             env=env,
                             capture_output=True, text=True)
        if res.returncode:
            raise SystemExit(res.stderr[-3000:])
        print(res.stdout.strip(), flush=True)


if __name__ == "__main__":
    main()
