"""Model checkpoints keep everything that changes the output (weights and output scales).

A trained model is written to a checkpoint, read back into a freshly built
model of the same architecture (other initial weights, default output scale),
and its energies and forces are compared with the original's; before
``energy_scale`` was saved the reloaded SchNet predicted energies off by the
factor rms(forces) x 0.02 nm.
"""

import numpy as np
import pytest

from sponge.ml import (
    BehlerParrinello,
    Dataset,
    SchNet,
    SymmetryFunctions,
    TrainConfig,
    load_checkpoint,
    predict,
    save_checkpoint,
    train,
)
from sponge.ml.training import init_energy_shift

from .test_ml import lj_dataset


def _lj_dataset(n_conf: int = 24, seed: int = 0) -> Dataset:
    """The LJ clusters of test_ml with two species (alternating)."""
    return lj_dataset(n_conf, seed, species=[0, 1, 0, 1, 0, 1])


def _schnet(seed):
    return SchNet(2, n_features=12, n_interactions=2, n_rbf=10, cutoff=0.6, seed=seed)


def _bp(seed):
    return BehlerParrinello(2, hidden=(10,), seed=seed, descriptor=SymmetryFunctions(
        2, radial_cutoff=0.6, angular_cutoff=0.5, radial_shells=np.linspace(0.2, 0.5, 4)))


@pytest.mark.parametrize("build", [_schnet, _bp], ids=["schnet", "behler_parrinello"])
def test_trained_model_roundtrips_through_checkpoint(tmp_path, build):
    data = _lj_dataset()
    tr, va = data.split(0.25, seed=1)
    model = build(0)
    init_energy_shift(model, tr, force_length=0.02)
    if hasattr(model, "fit_scaling"):
        model.fit_scaling(tr.species, tr.positions)
    ckpt = tmp_path / "best.npz"
    train(model, tr, va, TrainConfig(epochs=3, batch_size=6, lr=2e-3, progress=False,
                                     checkpoint=str(ckpt)))
    # the final (best-validation) weights, written explicitly as well
    final = tmp_path / "final.npz"
    save_checkpoint(model, final)
    e0, f0 = predict(model, data)

    clone = build(7)                       # other weights, default output scale
    e_fresh = predict(clone, data)[0].numpy()
    assert np.abs(e_fresh - e0.numpy()).max() > 1e-3   # the test can fail
    load_checkpoint(clone, final)
    e1, f1 = predict(clone, data)
    np.testing.assert_array_equal(e1.numpy(), e0.numpy())
    np.testing.assert_array_equal(f1.numpy(), f0.numpy())
    if isinstance(model, SchNet):
        assert model.energy_scale != 1.0 and clone.energy_scale == model.energy_scale
    else:
        np.testing.assert_array_equal(clone.feature_scale, model.feature_scale)
    # the checkpoint train() wrote at its best epoch is the same model
    clone2 = build(3)
    load_checkpoint(clone2, ckpt)
    np.testing.assert_array_equal(predict(clone2, data)[0].numpy(), e0.numpy())


def test_checkpoint_without_output_scale_is_refused(tmp_path):
    model = _schnet(0)
    model.energy_scale = 12.5
    old = tmp_path / "old.npz"
    np.savez(old, **model.state_dict())    # the format written before energy_scale was saved
    with pytest.raises(ValueError, match=r"old\.npz.*energy_scale"):
        load_checkpoint(_schnet(1), old)
