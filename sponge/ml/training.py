"""Training neural potentials on energies and forces (force matching).

The loss of a batch of configurations is

    L = w_E mean(((E_pred - E_ref) / n_atoms)^2) + w_F mean((F_pred - F_ref)^2)

with F_pred = -dE_pred/dx taken by a recorded gradient, so dL/dtheta
differentiates the forces (second-order autodiff). Adam with a cosine or
exponential learning-rate schedule, early stopping on a validation split,
best-weights checkpoints (``.npz``), a progress bar with the running errors,
and a learning-curve PNG.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

import core_autodiff as ad

from .data import Dataset
from .graph import build_graph


@dataclass
class TrainConfig:
    """Training settings (energies kJ/mol, forces kJ/mol/nm)."""

    epochs: int = 100
    batch_size: int = 16
    lr: float = 1e-3
    lr_end_fraction: float = 0.05
    schedule: str = "cosine"  # "cosine" | "exponential" | "constant"
    energy_weight: float = 1.0
    force_weight: float = 1.0
    patience: int = 25
    clip_norm: float | None = 10.0
    seed: int = 0
    checkpoint: str | None = None
    progress: bool = True

    def __post_init__(self) -> None:
        for name in ("epochs", "batch_size", "patience"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"TrainConfig.{name} must be >= 1, got {getattr(self, name)}")
        if self.lr <= 0:
            raise ValueError(f"TrainConfig.lr must be positive, got {self.lr}")
        if self.schedule not in ("cosine", "exponential", "constant"):
            raise ValueError(f"TrainConfig.schedule must be 'cosine', 'exponential' or "
                             f"'constant', got {self.schedule!r}")


@dataclass
class TrainResult:
    """History per epoch and the best validation errors."""

    history: dict[str, list[float]] = field(default_factory=dict)
    best_epoch: int = -1
    best_valid_force_rmse: float = float("inf")
    best_valid_energy_rmse: float = float("inf")
    seconds: float = 0.0


def predict(model: Any, data: Dataset, idx: np.ndarray | None = None,
            create_graph: bool = False) -> tuple[ad.Tensor, ad.Tensor]:
    """Energies ``(B,)`` and forces ``(B*n_atoms, 3)`` of configurations ``idx``."""
    idx = np.arange(len(data)) if idx is None else idx
    pos = data.positions[idx]
    boxes = None if data.box is None else data.box[idx]
    g = build_graph(data.species, pos, boxes, model.cutoff)
    dtype = getattr(model, "dtype", np.float64)
    x = ad.tensor(pos.reshape(-1, 3).astype(dtype), requires_grad=True)
    with ad.enable_grad():
        e = model.energies(g, x)
        (gx,) = ad.autograd(e.sum(), x, create_graph=create_graph)
    return e, -gx


def errors(model: Any, data: Dataset, batch_size: int = 64) -> tuple[float, float]:
    """(energy RMSE kJ/mol, force RMSE kJ/mol/nm) over a dataset.

    Raises:
        ValueError: the dataset is empty.
    """
    if len(data) == 0:
        raise ValueError("errors: the dataset holds no configurations")
    se_e, se_f = 0.0, 0.0
    for start in range(0, len(data), batch_size):
        idx = np.arange(start, min(len(data), start + batch_size))
        e, f = predict(model, data, idx)
        se_e += float(((e.numpy() - data.energy[idx]) ** 2).sum())
        se_f += float(((f.numpy() - data.forces[idx].reshape(-1, 3)) ** 2).sum())
    return float(np.sqrt(se_e / len(data))), float(np.sqrt(se_f / (len(data) * data.n_atoms * 3)))


def init_energy_shift(model: Any, data: Dataset, force_length: float | None = None) -> None:
    """Start per-species shifts at the mean energy per atom (the MLP learns the rest).

    With ``force_length`` (nm) and a model with an ``energy_scale`` attribute,
    also set that output scale to ``rms(forces) * force_length`` kJ/mol, so that
    a freshly initialised network (outputs and radial slopes of order one per
    ``force_length``) starts with forces of the data's magnitude; without it,
    Adam spends its first thousands of steps growing the last layer.
    """
    shift = model.atom_shift
    shift.data = np.full_like(shift.data, data.energy.mean() / data.n_atoms)
    if force_length is not None and hasattr(model, "energy_scale"):
        model.energy_scale = float(np.sqrt(np.mean(data.forces**2)) * force_length)


def train(model: Any, train_set: Dataset, valid_set: Dataset | None = None,
          config: TrainConfig | None = None) -> TrainResult:
    """Fit ``model`` (SchNet / BehlerParrinello or anything with ``energies`` and
    ``cutoff``) to energies and forces; returns the history and restores the
    weights of the best validation epoch.

    Raises:
        ValueError: empty datasets or a config error.
    """
    cfg = config or TrainConfig()
    if len(train_set) == 0:
        raise ValueError("empty training set")
    if valid_set is None:
        train_set, valid_set = train_set.split(0.1, cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    n_batches = int(np.ceil(len(train_set) / cfg.batch_size))
    total = cfg.epochs * n_batches
    if cfg.schedule == "cosine":
        lr = ad.optim.cosine_decay(cfg.lr, total, alpha=cfg.lr_end_fraction)
    elif cfg.schedule == "exponential":
        lr = ad.optim.exponential_decay(cfg.lr, cfg.lr_end_fraction, total)
    else:
        lr = cfg.lr
    params = [p for p in model.parameters() if p.requires_grad]
    opt = ad.optim.Adam(params, lr=lr, clip_norm=cfg.clip_norm)
    n_at = train_set.n_atoms

    def loss_fn(idx):
        e, f = predict(model, train_set, idx, create_graph=True)
        de = (e - train_set.energy[idx].astype(e.dtype)) * (1.0 / n_at)
        df = f - train_set.forces[idx].reshape(-1, 3).astype(f.dtype)
        return cfg.energy_weight * ad.mean(de * de) + cfg.force_weight * ad.mean(df * df)

    step = ad.value_and_grad(loss_fn, argnums=None, params=params, allow_unused=True)
    res = TrainResult(history={k: [] for k in ("epoch", "train_loss", "valid_energy_rmse",
                                               "valid_force_rmse", "lr")})
    best_state = model.state_dict()
    t0 = time.perf_counter()
    bar = tqdm(range(cfg.epochs), desc="training", unit="epoch", disable=not cfg.progress)
    since_best = 0
    for epoch in bar:
        perm = rng.permutation(len(train_set))
        losses = []
        for b in range(n_batches):
            idx = np.sort(perm[b * cfg.batch_size:(b + 1) * cfg.batch_size])
            loss, grads = step(idx)
            opt.step(grads)
            losses.append(float(loss.numpy()))
        ve, vf = errors(model, valid_set)
        h = res.history
        h["epoch"].append(epoch)
        h["train_loss"].append(float(np.mean(losses)))
        h["valid_energy_rmse"].append(ve)
        h["valid_force_rmse"].append(vf)
        h["lr"].append(float(lr(opt.step_count)) if callable(lr) else float(lr))
        bar.set_postfix(loss=f"{h['train_loss'][-1]:.3g}", E_rmse=f"{ve:.3g}", F_rmse=f"{vf:.3g}")
        if vf < res.best_valid_force_rmse:
            res.best_valid_force_rmse, res.best_valid_energy_rmse = vf, ve
            res.best_epoch = epoch
            best_state = model.state_dict()
            since_best = 0
            if cfg.checkpoint:
                save_checkpoint(model, cfg.checkpoint, res)
        else:
            since_best += 1
            if since_best >= cfg.patience:
                break
    model.load_state_dict(best_state)
    res.seconds = time.perf_counter() - t0
    return res


#: Non-parameter model attributes that change the output (saved with the weights):
#: SchNet's output scale, Behler-Parrinello's descriptor standardisation. A model
#: may name more in a ``checkpoint_attributes`` tuple.
MODEL_ATTRIBUTES = ("energy_scale", "feature_mean", "feature_scale")
_ATTR_PREFIX = "__attr__."


def _model_attributes(model: Any) -> tuple[str, ...]:
    names = (*MODEL_ATTRIBUTES, *getattr(model, "checkpoint_attributes", ()))
    return tuple(dict.fromkeys(n for n in names if hasattr(model, n)))


def save_checkpoint(model: Any, path: str | Path, result: TrainResult | None = None) -> None:
    """Weights to ``path`` (``.npz``, written atomically) and the history beside it (``.json``).

    Besides the parameters, the non-parameter attributes that scale or shift the
    output (:data:`MODEL_ATTRIBUTES`, e.g. ``SchNet.energy_scale``) are stored under
    ``__attr__.<name>`` keys, so a reloaded model predicts the same energies.
    """
    path = Path(path)
    arrays = model.state_dict()
    for name in _model_attributes(model):
        arrays[_ATTR_PREFIX + name] = np.asarray(getattr(model, name))
    tmp = path.with_name(path.name + ".tmp.npz")
    np.savez(tmp, **arrays)
    tmp.replace(path)
    if result is not None:
        meta = asdict(result)
        path.with_suffix(".json").write_text(json.dumps(meta, indent=1))


def load_checkpoint(model: Any, path: str | Path) -> None:
    """Load weights and output attributes saved by :func:`save_checkpoint`.

    Raises:
        ValueError: the file lacks an attribute this model has (a checkpoint
            written before those were saved), naming the file and the attribute.
    """
    with np.load(path) as z:
        params = {k: z[k] for k in z.files if not k.startswith(_ATTR_PREFIX)}
        attrs = {k[len(_ATTR_PREFIX):]: z[k] for k in z.files if k.startswith(_ATTR_PREFIX)}
    missing = [n for n in _model_attributes(model) if n not in attrs]
    if missing:
        raise ValueError(f"{path}: checkpoint lacks model attribute(s) {missing} (written "
                         f"before they were saved?); its energies would be wrongly scaled")
    model.load_state_dict(params)
    for name, value in attrs.items():
        if not hasattr(model, name):
            raise ValueError(f"{path}: checkpoint attribute {name!r} is unknown to "
                             f"{type(model).__name__}")
        old = getattr(model, name)
        if isinstance(old, np.ndarray):
            if value.shape != old.shape:
                raise ValueError(f"{path}: attribute {name!r} has shape {value.shape}; the "
                                 f"model's is {old.shape}")
            setattr(model, name, value.astype(old.dtype))
        else:
            setattr(model, name, type(old)(value.item()) if value.ndim == 0 else value)


def plot_learning_curve(result: TrainResult, path: str | Path) -> None:
    """PNG of the training loss and validation energy/force RMSE per epoch."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    h = result.history
    fig, ax = plt.subplots(1, 2, figsize=(9, 3.5))
    ax[0].semilogy(h["epoch"], h["train_loss"])
    ax[0].set(xlabel="epoch", ylabel="training loss", title="loss")
    ax[1].semilogy(h["epoch"], h["valid_force_rmse"], label="force RMSE (kJ/mol/nm)")
    ax[1].semilogy(h["epoch"], h["valid_energy_rmse"], label="energy RMSE (kJ/mol)")
    if result.best_epoch >= 0:
        ax[1].axvline(result.best_epoch, color="gray", ls=":", label="best")
    ax[1].set(xlabel="epoch", title="validation")
    ax[1].legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
