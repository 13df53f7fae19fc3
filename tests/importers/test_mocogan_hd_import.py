"""MoCoGAN-HD's released pieces (motion .pth, PCA side folder, rosinality G_I) -> one export whose motion
trajectory equals the official RNNModule's (numbers from scripts/make_import_fixtures.py)."""
from pathlib import Path

import numpy as np
import pytest
import torch

from tests.importers.fake_persistence import split
from vidsynth.errors import CheckpointError
from vidsynth.importers.mocogan_hd import import_motion_generator

FIXTURE = Path(__file__).parents[1] / "fixtures" / "import_mocogan_hd.npz"


@pytest.fixture(scope="module")
def fx():
    return np.load(FIXTURE)


def release(fx, folder: Path, state=None, comp=None):
    """Write the files as the official code does: torch.save(state_dict) + np.save side folder."""
    state = {k: torch.from_numpy(v) for k, v in split(fx, "r").items()} if state is None else state
    torch.save(state, folder / "modelR_epoch_5.pth")
    (folder / "pca").mkdir(exist_ok=True)
    np.save(folder / "pca" / "pca_comp.npy", fx["pca_comp"] if comp is None else comp)
    np.save(folder / "pca" / "pca_stdev.npy", fx["pca_stdev"])
    return folder / "modelR_epoch_5.pth", folder / "pca"


def test_trajectory_matches_official(fx, tmp_path):
    pth, pca = release(fx, tmp_path)
    G_M, kwargs = import_motion_generator(pth, pca, motion_scale=float(fx["w_residual"]))
    assert kwargs == dict(latent_dim=16, hidden_dim=12, n_pca=10, noise_dim=16, motion_scale=0.2, mi_hidden=16)
    z, noise = torch.from_numpy(fx["z"]), torch.from_numpy(fx["noise"])      # noise [T-1, B, D]
    with torch.no_grad():
        latents = G_M(z, noise.shape[0] + 1, noise=noise.transpose(0, 1)).latents   # [B, T, D]
    official = torch.from_numpy(fx["out"]).view(*latents.shape)              # official [(b t), D]
    # Same LSTM cells and matmuls; the basis V*std is formed the same way: float32 rounding, ~1e-7 per
    # step accumulated over 5 steps on values of size ~1.
    err = (latents - official).abs().max().item()
    assert err < 1e-5, err
    assert (official[:, -1] - official[:, 0]).abs().max() > 0.05              # the motion is not trivial


def test_prefixed_state_and_bad_pca_are_checked(fx, tmp_path):
    state = {"module." + k: torch.from_numpy(v) for k, v in split(fx, "r").items()}
    pth, pca = release(fx, tmp_path, state=state, comp=fx["pca_comp"][:, :8])
    with pytest.raises(CheckpointError, match="needs 10 of size 16"):
        import_motion_generator(pth, pca)
    state.pop("module.fc2.bias")
    state["module.w"] = state["module.w"][:, :9]
    pth, pca = release(fx, tmp_path, state=state)
    with pytest.raises(CheckpointError) as e:
        import_motion_generator(pth, pca)
    assert "missing (1):\n  noise_predictor.2.bias" in str(e.value)
    assert "b (-> to_pca.bias): expected [9], found [10]" in str(e.value)      # n_pca read off w


def test_missing_pca_folder_is_explained(fx, tmp_path):
    pth, _ = release(fx, tmp_path)
    with pytest.raises(CheckpointError, match="no pca_comp.npy in the PCA folder"):
        import_motion_generator(pth, tmp_path / "nowhere")
