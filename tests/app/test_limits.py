"""Memory caps: the per-frame cost is measured from the model, the arithmetic is pinned, and requests
over the budget are refused with a message before anything is rendered."""
from __future__ import annotations

import pytest

import vidsynth
from tests.app.conftest import needs_gradio
from vidsynth.app.digan_tab import DIGANExplorer
from vidsynth.app.limits import Limits, RequestTooLarge, frame_activation_values
from vidsynth.app.mocogan_tab import MoCoGANHDExplorer
from vidsynth.errors import VidsynthError


def test_activation_values_come_from_the_model(digan_path, mocogan_path):
    # DIGAN test preset: the 16 px block's space-time embedding, 2 * emb_size = 16 channels x 16 x 16 px
    assert frame_activation_values(vidsynth.load(digan_path)) == 16 * 16 * 16
    # StyleGAN2 test preset at 16 px: channel_max = 16 channels x 16 x 16 px
    assert frame_activation_values(vidsynth.load(mocogan_path)) == 16 * 16 * 16


def test_cost_arithmetic():
    lim = Limits(budget=2 ** 30, resolution=16, activation_values=4096, chunk=16)
    # output: 2 videos x 10 frames x 3 x 16 x 16 values x 5 bytes; activations: 2 x 10 frames (< chunk)
    # x 4096 values x 4 bytes x 4 copies
    assert lim.cost(2, 10) == 2 * 10 * 3 * 256 * 5 + 2 * 10 * 4096 * 4 * 4 == 1_387_520
    # 40 frames: the output grows, the activations stop at one chunk of 16 frames
    assert lim.cost(2, 40) == 2 * 40 * 3 * 256 * 5 + 2 * 16 * 4096 * 4 * 4
    # scale 2: four times the pixels in both
    assert lim.cost(2, 40, 2.0) == 4 * lim.cost(2, 40)


def test_max_frames_is_the_exact_boundary():
    lim = Limits(budget=0, resolution=16, activation_values=4096, chunk=16)
    lim.budget = lim.cost(1, 100)
    assert lim.max_frames(1) == 100
    lim.budget -= 1
    assert lim.max_frames(1) == 99
    lim.check(1, 99)                                   # fits: no error
    # 100 x 768 values x 5 B + 16 frames x 4096 x 16 B = 1,432,576 B = 1.4 MiB
    message = r"1 video\(s\) x 100 frames at 16x16 px would need about 1.4 MiB.*at most 99 frames"
    with pytest.raises(RequestTooLarge, match=message):
        lim.check(1, 100)
    assert issubclass(RequestTooLarge, VidsynthError)  # the CLI's one-line error, exit code 2


def test_explorers_refuse_before_rendering(digan_path, mocogan_path, monkeypatch):
    sampler = vidsynth.load(digan_path)
    # Budget: exactly 4 videos x 16 frames at 16 px. Anything larger must be refused -- and cheap to
    # render if the check were missing, so a missing check fails this test instead of hanging it.
    limits = Limits.for_sampler(sampler)
    limits.budget = limits.cost(4, 16)
    digan = DIGANExplorer(sampler, limits)
    digan.video(0, frames=16, n=4)                                   # at the budget: rendered
    for call in (lambda: digan.video(0, frames=17, n=4), lambda: digan.video(0, frames=16, n=5),
                 lambda: digan.video(0, frames=16, n=4, scale=1.5), lambda: digan.still(0, 0.5, n=5, scale=4.0),
                 lambda: digan.diverse_motion(0, frames=16, motions=5), lambda: digan.swap(0, 17, 2, 2),
                 lambda: digan.interpolate(0, 1, steps=5, frames=16), lambda: digan.morph(0, 1, frames=900)):
        with pytest.raises(RequestTooLarge, match="refused: .* over the app's memory budget"):
            call()
    moco_sampler = vidsynth.load(mocogan_path)
    moco_limits = Limits.for_sampler(moco_sampler)
    moco_limits.budget = moco_limits.cost(2, 8)
    moco = MoCoGANHDExplorer(moco_sampler, moco_limits)
    for call in (lambda: moco.long(0, n=2, frames=9), lambda: moco.content_motion(0, 3, 1, 8),
                 lambda: moco.pca(0, [0, 1, 2], frames=8)):
        with pytest.raises(RequestTooLarge):
            call()


@needs_gradio
def test_refusal_is_a_message_in_the_page():
    import gradio as gr

    from vidsynth.app.ui import as_ui_error

    lim = Limits(budget=1000, resolution=16, activation_values=4096)
    handler = as_ui_error(lambda: lim.check(1, 50))
    with pytest.raises(gr.Error, match="refused: 1 video"):
        handler()
