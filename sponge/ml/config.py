"""``sponge train-potential CONFIG.toml``: train a neural potential from a TOML file.

    [data]
    path = "data.npz"            # Dataset .npz (species, positions, energy, forces[, box])
    valid_fraction = 0.1

    [model]
    type = "schnet"              # "schnet" | "behler_parrinello"
    n_features = 64              # schnet
    n_interactions = 3           # schnet
    n_rbf = 32                   # schnet
    cutoff = 0.5                 # nm
    hidden = [64, 64]            # behler_parrinello

    [training]                   # TrainConfig fields
    epochs = 100
    batch_size = 16
    lr = 1e-3
    energy_weight = 1.0
    force_weight = 1.0
    patience = 25
    seed = 0

    [output]
    directory = "mlff"           # model.npz, model.json (history), learning_curve.png

Errors name the key and what was expected.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import fields
from pathlib import Path
from typing import Any

import numpy as np

from .data import Dataset
from .training import TrainConfig, plot_learning_curve, save_checkpoint, train


class TrainConfigError(ValueError):
    """A bad key or value in a training configuration (names the key)."""


_MODEL_KEYS = {
    "schnet": {"n_features": int, "n_interactions": int, "n_rbf": int, "cutoff": float,
               "seed": int},
    "behler_parrinello": {"hidden": list, "seed": int},
}


def build_model(section: dict[str, Any], n_species: int) -> Any:
    """A model from the ``[model]`` table."""
    from .behler_parrinello import BehlerParrinello
    from .schnet import SchNet

    kind = section.get("type", "schnet")
    if kind not in _MODEL_KEYS:
        raise TrainConfigError(f"[model].type: expected one of {sorted(_MODEL_KEYS)}, "
                               f"got {kind!r}")
    kwargs = {}
    for key, value in section.items():
        if key == "type":
            continue
        if key not in _MODEL_KEYS[kind]:
            raise TrainConfigError(f"[model].{key}: unknown for type {kind!r}; expected one of "
                                   f"{sorted(_MODEL_KEYS[kind])}")
        want = _MODEL_KEYS[kind][key]
        if want is float and isinstance(value, int):
            value = float(value)
        if not isinstance(value, want) or isinstance(value, bool):
            raise TrainConfigError(f"[model].{key}: expected {want.__name__}, got {value!r}")
        kwargs[key] = value
    if kind == "schnet":
        return SchNet(n_species, **kwargs)
    return BehlerParrinello(n_species, hidden=tuple(kwargs.pop("hidden", (64, 64))), **kwargs)


def load_train_config(path: str | Path) -> dict[str, Any]:
    """Read and check the TOML file; raises TrainConfigError naming the key."""
    path = Path(path)
    try:
        cfg = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise
    except tomllib.TOMLDecodeError as e:
        raise TrainConfigError(f"{path}: not valid TOML ({e})") from e
    unknown = set(cfg) - {"data", "model", "training", "output"}
    if unknown:
        raise TrainConfigError(f"{path}: unknown tables {sorted(unknown)}; expected data, model, "
                               "training, output")
    if "path" not in cfg.get("data", {}):
        raise TrainConfigError(f"{path}: [data].path: expected the dataset .npz path")
    allowed = {f.name for f in fields(TrainConfig)} - {"checkpoint"}
    for key in cfg.get("training", {}):
        if key not in allowed:
            raise TrainConfigError(f"{path}: [training].{key}: unknown; expected one of "
                                   f"{sorted(allowed)}")
    cfg["_base"] = path.parent
    return cfg


def train_from_config(path: str | Path, progress: bool = True) -> dict[str, Any]:
    """Run the training a TOML file describes; returns a summary (also printed as JSON)."""
    cfg = load_train_config(path)
    base = cfg["_base"]
    data_path = Path(cfg["data"]["path"])
    data = Dataset.load(data_path if data_path.is_absolute() else base / data_path)
    vf = float(cfg["data"].get("valid_fraction", 0.1))
    tc_kwargs = dict(cfg.get("training", {}))
    try:
        tc = TrainConfig(**tc_kwargs, progress=progress)
    except (TypeError, ValueError) as e:
        raise TrainConfigError(f"[training]: {e}") from e
    train_set, valid_set = data.split(vf, tc.seed)
    out = Path(cfg.get("output", {}).get("directory", "mlff"))
    out = out if out.is_absolute() else base / out
    out.mkdir(parents=True, exist_ok=True)
    tc.checkpoint = str(out / "model.npz")
    n_species = int(data.species.max()) + 1
    model = build_model(cfg.get("model", {}), n_species)
    from .training import init_energy_shift

    # output scale from the data's RMS force (SchNet): an untrained network then
    # predicts forces of the right magnitude (saved in the checkpoint)
    init_energy_shift(model, train_set, force_length=0.02)
    if hasattr(model, "fit_scaling"):
        model.fit_scaling(train_set.species, train_set.positions[:64],
                          None if train_set.box is None else train_set.box[:64])
    result = train(model, train_set, valid_set, tc)
    save_checkpoint(model, out / "model.npz", result)
    plot_learning_curve(result, out / "learning_curve.png")
    summary = {"model": str(out / "model.npz"), "epochs_run": len(result.history["epoch"]),
               "best_epoch": result.best_epoch,
               "valid_energy_rmse_kj_mol": result.best_valid_energy_rmse,
               "valid_force_rmse_kj_mol_nm": result.best_valid_force_rmse,
               "seconds": result.seconds, "n_train": len(train_set), "n_valid": len(valid_set),
               "n_species": n_species, "energy_mean": float(np.mean(data.energy))}
    (out / "summary.json").write_text(json.dumps(summary, indent=1))
    return summary
