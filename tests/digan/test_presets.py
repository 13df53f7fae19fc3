"""DIGAN presets reproduce the official runs without hand edits.

Expected values come from sihyun-yu/digan: configs/main.yml (cfg auto, 8 GPUs, diffaugment
color,translation, mirror 1), configs/digan.yml (generator fp32, r1_gamma 1.0, style mixing 0,
pl_weight 0), src/train.py (cfg_specs['auto'] at 128 px: kimg 25000, batch max(min(8 * min(4096 // 128, 32),
64), 8) = 64, mbstd min(64 // 8, 4) = 4, lr 0.0025, ema 64 * 10 / 32 = 20 kimg, ramp 0.05, map 2),
src/training/training_loop.py (G_reg_interval 4, D_reg_interval 16, Adam betas (0, 0.99)) and
src/training/dataset.py (TaiChi: 64-frame chunks -> 4 clips of every 4th frame).
"""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from vidsynth.config import DEFAULT_PRESETS, loop_config, method_config

OFFICIAL_128 = dict(resolution=128, input_resolution=32, z_dim=512, w_dim=512, motion_dim=512, mapping_layers=2,
                    g_channel_base=32768, g_channel_max=512, emb_size=128, sigma_t=0.25, fmm_rank=10,
                    extra_layers_from=128, d_channel_base=32768, d_channel_max=512, mbstd_group=4, frames=16,
                    stride=1, xflip=True, conditional=False, batch=64, lr=0.0025, beta1=0.0, beta2=0.99,
                    r1_gamma=1.0, r1_interval=16, g_reg_interval=4, ema_kimg=20.0, ema_rampup=0.05,
                    diffaugment="color,translation")
DATASETS = {"paper128": {}, "ucf101": {}, "sky": {}, "taichi": {"stride": 4}, "kinetics-food": {},
            "paper128-long": {"frames": 128, "sigma_t": 0.5}}


@pytest.mark.parametrize("preset", sorted(DATASETS))
def test_paper_presets_match_the_official_configs(preset):
    cfg = method_config("digan", preset)
    expected = {**OFFICIAL_128, **DATASETS[preset]}
    assert {k: getattr(cfg, k) for k in expected} == expected
    assert loop_config("digan", preset).kimg == 25000      # official cfg 'auto' trains 25,000 kimg
    assert loop_config("digan", preset, {"kimg": 10}).kimg == 10


def test_other_presets_keep_the_generic_run_length():
    assert loop_config("digan", "tiny").kimg == 1000
    assert loop_config("stylegan2", "paper256").kimg == 1000


def test_cli_preset_sets_run_length_and_stride_without_hand_edits():
    from vidsynth.cli.train import train_command

    def show(*args):
        result = CliRunner().invoke(train_command, ["--method", "digan", "--show-config", *args])
        assert result.exit_code == 0, result.output
        return json.loads(result.output)

    assert DEFAULT_PRESETS["digan"] == "paper128"
    default = show()
    assert default["loop"]["kimg"] == 25000 and default["method"]["stride"] == 1
    taichi = show("--preset", "taichi")
    assert taichi["loop"]["kimg"] == 25000 and taichi["method"]["stride"] == 4 and taichi["method"]["frames"] == 16
    assert show("--preset", "taichi", "--kimg", "7")["loop"]["kimg"] == 7
    assert show("--preset", "tiny")["loop"]["kimg"] == 1000
