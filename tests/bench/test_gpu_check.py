"""scripts/gpu_check.sh's Python half (vidsynth/bench/gpu_check.py) in its CPU dry run, so it does not rot
while no CUDA machine runs it: every network's parity record, the bf16 AMP runs of all three trainers, the
commands of the NCCL and bench checks, one JSON summary, and an exit code that reports failures."""
import json

import torch

from vidsynth.bench import gpu_check

NETWORKS = {"digan_G", "digan_D", "stylegan2_G", "stylegan2_D", "mocogan_hd_motion_G", "mocogan_hd_video_D",
            "mocogan_hd_image_D", "mocogan_hd_contrastive_D", "i3d"}


def test_dry_run_summary(tmp_path, capsys):
    out = tmp_path / "summary.json"
    assert gpu_check.main(["--dry-run", "--json", str(out)]) == 0
    summary = json.loads(out.read_text())
    assert json.loads(capsys.readouterr().out) == summary
    assert summary["ok"] and summary["dry_run"] and summary["device"] == "cpu"
    nets = summary["parity"]["networks"]
    assert set(nets) == NETWORKS
    assert all(r["ok"] and r["rel_max_err"] == 0.0 for r in nets.values())   # CPU against CPU: identical
    assert set(summary["amp"]["runs"]) == {"digan_bf16", "stylegan2_bf16", "mocogan-hd_bf16", "digan_fp16"}
    assert all(r["ok"] and r["steps"] == 2 for r in summary["amp"]["runs"].values())
    blocks = summary["amp"]["d_blocks"]         # test preset: 16 px, num_fp16_res 4 -> both blocks reduced
    assert (blocks["num_fp16_res"], blocks["conv_clamp"]) == (4, 256.0)
    for precision in ("fp16", "bf16"):          # fromrgb + 2 blocks x 3 convs reduced; conv, fc, out fp32
        assert (blocks[precision]["reduced_layers"], blocks[precision]["fp32_layers"]) == (7, 3), blocks
        assert blocks[precision]["ok"] and 0 < blocks[precision]["rel_max_err"] <= gpu_check.MIXED_RTOL
    assert "--nproc_per_node 2" in summary["nccl"]["command"] and "--device cuda" in summary["nccl"]["command"]
    assert " -m vidsynth bench --device cpu --json " in summary["bench"]["command"]


def test_a_parity_failure_fails_the_check(monkeypatch):
    """A network whose output differs on the device (here: a perturbed copy) is reported and fails the summary."""
    real = gpu_check._flat_outputs
    calls = []

    def perturbed(module, *inputs):
        out = real(module, *inputs)
        calls.append(1)
        if len(calls) % 2:                                      # every second call is "the device"
            return out
        return out + 0.01 * max(1.0, out.abs().max().item())    # 10x the tolerance
    monkeypatch.setattr(gpu_check, "_flat_outputs", perturbed)
    result = gpu_check.check_parity("cpu", dry_run=True)
    assert not result["ok"] and all(not r["ok"] for r in result["networks"].values())


def test_mixed_blocks_check_fails_on_a_wrong_format(monkeypatch):
    """A D whose blocks do not run in the reduced format (here: set_reduced_dtype ignored) fails d_blocks."""
    from vidsynth.models.resnet_discriminator import ResNetDiscriminator

    monkeypatch.setattr(ResNetDiscriminator, "set_reduced_dtype", lambda self, dtype: None)
    result = gpu_check.check_mixed_blocks("cpu", "test")
    assert not result["ok"] and result["fp16"]["reduced_layers"] == 0


def test_refuses_cuda_without_cuda(capsys):
    if torch.cuda.is_available():
        return
    assert gpu_check.main(["--device", "cuda"]) == 2
    assert "CUDA is not available" in capsys.readouterr().err
