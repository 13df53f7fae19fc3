"""The DIGAN tab: a video is a function of (x, y, t), so the controls are the INR's inputs.

- *Video*: ``frames`` frames at evenly spaced real times from ``t_start`` to ``t_end`` (t < 0 and
  t > 1 extrapolate past the training clip), on a ``scale``-times denser pixel grid (upsampling)
  over a coordinate range ``[lo, hi]`` (zoom-out when wider than the training view [0, 1]);
- *Still frame*: one frame at any continuous t, re-rendered alone when its slider moves (no video
  is needed: frames never depend on each other);
- *Diverse motion*, *content x motion swap*, *latent interpolation*: ``vidsynth.apps.digan.motion`` and
  ``vidsynth.apps.digan.interpolate``.

:class:`DIGANExplorer` holds the callbacks as plain Python (tensors in, tensors out; tested against
``vidsynth generate --mode ...``); :func:`build_digan_tab` lays them out and writes their files.
All rendering is done by ``vidsynth.apps``; this file only picks arguments and checks memory.
"""
from __future__ import annotations

import torch

from vidsynth.app.limits import Limits
from vidsynth.app.ui import RANDOM_CLASS, VIDEO_HEIGHT, as_ui_error, no_progress, parse_label
from vidsynth.apps.digan import interpolate, motion, render
from vidsynth.models.digan.coordinates import frame_times

SCALES = (0.5, 1.0, 1.5, 2.0, 3.0, 4.0)


class DIGANExplorer:
    """The DIGAN callbacks; every video is ``[B, 3, T, H, W]`` in [-1, 1] on CPU."""

    def __init__(self, sampler, limits: Limits, chunk: int = 16):
        self.sampler, self.limits, self.chunk = sampler, limits, chunk

    # ------------------------------------------------------------------ what the pickers offer
    def scales(self) -> list[float]:
        """Pixel-grid densities the model can render (``input_resolution * scale`` must be an integer)."""
        base = self.sampler.generator.input_resolution
        return [s for s in SCALES if base * s >= 1 and abs(base * s - round(base * s)) < 1e-9]

    def class_choices(self) -> list[str]:
        c_dim = self.sampler.generator.c_dim
        names = self.sampler.class_names or [str(i) for i in range(c_dim)]
        return [RANDOM_CLASS] + names if c_dim else []

    def _base_times(self, frames: int) -> torch.Tensor:
        """``frames`` frames at the training spacing from t = 0 (what ``vidsynth generate`` renders)."""
        return frame_times(frames, self.sampler.train_frames)

    @staticmethod
    def _positive(**values) -> None:
        for name, v in values.items():
            if int(v) < 1:
                raise ValueError(f"{name} must be at least 1, got {v}")

    # ------------------------------------------------------------------ callbacks
    def video(self, seed: int, label=None, truncation: float = 1.0, t_start: float = 0.0, t_end: float = 1.0,
              frames: int = 16, n: int = 1, scale: float = 1.0, zoom=(0.0, 1.0), progress=no_progress) -> torch.Tensor:
        """Videos ``0..n-1`` of ``seed`` at ``frames`` times ``linspace(t_start, t_end)`` -> ``[n, 3, frames, H', W']``
        (``vidsynth generate --times t_start:t_end:frames --scale S``; ``--mode zoom-out --range LO HI``)."""
        self._positive(frames=frames, videos=n)
        lo, hi = float(zoom[0]), float(zoom[1])
        if not hi > lo:
            raise ValueError(f"the zoom range must have hi > lo, got [{lo}, {hi}]")
        self.limits.check(n, frames, scale)
        times = torch.linspace(float(t_start), float(t_end), int(frames))                  # [T]
        z, zm = self.sampler.latents(n, seed)
        w = render.mapped_w(self.sampler, z, self.sampler.labels(n, label, seed), truncation)
        chunks = []
        for chunk in render.render_chunks(self.sampler, w, zm, times, self.chunk, scale, (lo, hi)):
            chunks.append(chunk)                                                            # [n, 3, <=chunk, H', W']
            progress(sum(c.shape[2] for c in chunks) / frames, desc="rendering frames")
        return torch.cat(chunks, dim=2)

    def still(self, seed: int, t: float, label=None, truncation: float = 1.0, n: int = 1, scale: float = 1.0,
              zoom=(0.0, 1.0)) -> torch.Tensor:
        """One frame at the real time ``t`` of videos ``0..n-1``: ``[n, 3, 1, H', W']`` (no other frame is rendered)."""
        self._positive(videos=n)
        self.limits.check(n, 1, scale)
        return render.render_times(self.sampler, [float(t)], n, seed, label, truncation, scale,
                                   (float(zoom[0]), float(zoom[1])), self.chunk)

    def diverse_motion(self, seed: int, frames: int = 16, motions: int = 8, label=None,
                       truncation: float = 1.0) -> torch.Tensor:
        """Content 0 of ``seed`` with ``motions`` motion codes (``vidsynth generate --mode diverse-motion``)."""
        self._positive(frames=frames, motions=motions)
        self.limits.check(motions, frames)
        return motion.diverse_motion(self.sampler, self._base_times(frames), motions, seed, 0, label, truncation,
                                     self.chunk)

    def swap(self, seed: int, frames: int = 16, contents: int = 4, motions: int = 4, label=None,
             truncation: float = 1.0) -> torch.Tensor:
        """Row = content, column = motion: ``[contents * motions, ...]`` (``vidsynth generate --mode swap``)."""
        self._positive(frames=frames, contents=contents, motions=motions)
        self.limits.check(contents * motions, frames)
        return motion.swap_grid(self.sampler, self._base_times(frames), contents, motions, seed, label, truncation,
                                self.chunk)

    def interpolate(self, seed: int, seed_b: int, steps: int = 8, frames: int = 16, index_a: int = 0,
                    index_b: int = 1, space: str = "w", label=None, truncation: float = 1.0) -> torch.Tensor:
        """``steps`` videos from video ``index_a`` of ``seed`` to video ``index_b`` of ``seed_b``
        (``vidsynth generate --mode interpolate-latent`` when ``seed_b == seed``)."""
        self._positive(frames=frames, steps=steps)
        self.limits.check(steps, frames)
        return interpolate.interpolate_latents(self.sampler, self._base_times(frames), steps, seed, index_a, index_b,
                                               label, truncation, space, self.chunk, seed_b=seed_b)

    def morph(self, seed: int, seed_b: int, frames: int = 32, index_a: int = 0, index_b: int = 1, space: str = "w",
              label=None, truncation: float = 1.0) -> torch.Tensor:
        """One video whose frame k is step k of the same path (``vidsynth generate --mode morph``)."""
        self._positive(frames=frames)
        self.limits.check(1, frames)
        return interpolate.morph(self.sampler, frames, seed, index_a, index_b, label, truncation, space,
                                 seed_b=seed_b)


def build_digan_tab(gr, explorer: DIGANExplorer, out, title: str) -> None:
    """The DIGAN controls inside the current ``gr.Blocks``; renders go to ``out`` (an :class:`OutputFolder`)."""
    s = explorer.sampler
    tf = s.train_frames
    classes = explorer.class_choices()
    max_frames = max(2, explorer.limits.max_frames(1, 1.0))
    gr.Markdown(f"**{title}** - DIGAN, {s.resolution}x{s.resolution} px, trained on {tf}-frame clips "
                f"(frame i at t = i/{tf - 1}); "
                + (f"{len(classes) - 1} classes" if classes else "unconditional")
                + f". Requests over {explorer.limits.budget / 2 ** 30:.1f} GiB are refused.")
    with gr.Row():
        seed = gr.Number(0, label="Seed", precision=0, minimum=0, elem_id="digan-seed")
        label = gr.Dropdown(classes or [RANDOM_CLASS], value=RANDOM_CLASS, label="Class", visible=bool(classes),
                            elem_id="digan-class")
        trunc = gr.Slider(0.0, 1.0, 1.0, step=0.05, label="Truncation psi (1 = none)", elem_id="digan-truncation")

    def common(seed_, label_, trunc_):
        return int(seed_ or 0), parse_label(label_), float(trunc_)

    with gr.Tab("Video and still frame"):
        with gr.Row():
            with gr.Column(scale=1):
                t_start = gr.Slider(-2.0, 3.0, 0.0, step=0.05, label="Time from (t < 0: before the clip)",
                                    elem_id="digan-t-start")
                t_end = gr.Slider(-2.0, 3.0, 1.0, step=0.05, label="Time to (t > 1: past the clip)",
                                  elem_id="digan-t-end")
                frames = gr.Slider(1, min(max_frames, 1024), tf, step=1, label="Frames", elem_id="digan-frames")
                n = gr.Slider(1, 16, 1, step=1, label="Videos", elem_id="digan-n")
                scale = gr.Radio([str(x) for x in explorer.scales()], value="1.0",
                                 label="Upsampling scale (pixel-grid density)", elem_id="digan-scale")
                with gr.Row():
                    lo = gr.Number(0.0, label="View from (zoom-out: < 0)", elem_id="digan-zoom-lo")
                    hi = gr.Number(1.0, label="View to (zoom-out: > 1)", elem_id="digan-zoom-hi")
                go = gr.Button("Render video", variant="primary", elem_id="digan-render")
            with gr.Column(scale=2):
                video = gr.Video(label="Video", autoplay=True, loop=True, elem_id="digan-video",
                                 interactive=False, height=VIDEO_HEIGHT)
                files = gr.File(label="Download (mp4, gif)", file_count="multiple", elem_id="digan-files",
                                interactive=False)
        with gr.Row():
            with gr.Column(scale=1):
                t_still = gr.Slider(-2.0, 3.0, 0.5, step=0.01, label="Still frame at time t",
                                    elem_id="digan-still-t")
                gr.Markdown("Only this one frame is rendered, at any real t.", elem_classes="vidsynth-note")
            with gr.Column(scale=2):
                still = gr.Image(out.image(explorer.still(0, 0.5), "digan-seed0-still-t0.500"), label="Still frame",
                                 type="filepath", interactive=False, elem_id="digan-still", height=320,
                                 elem_classes="vidsynth-pixels")

    @as_ui_error
    def on_video(seed_, label_, trunc_, t0, t1, frames_, n_, scale_, lo_, hi_, progress=gr.Progress()):
        sd, lb, tr = common(seed_, label_, trunc_)
        v = explorer.video(sd, lb, tr, t0, t1, int(frames_), int(n_), float(scale_), (lo_, hi_), progress)
        progress(1.0, desc="encoding mp4 and gif")
        return out.video(v, f"digan-seed{sd}-t{t0:g}-{t1:g}")

    @as_ui_error
    def on_still(seed_, label_, trunc_, t, n_, scale_, lo_, hi_):
        sd, lb, tr = common(seed_, label_, trunc_)
        frame = explorer.still(sd, t, lb, tr, int(n_), float(scale_), (lo_, hi_))
        return out.image(frame, f"digan-seed{sd}-still-t{float(t):.3f}")

    still_inputs = [seed, label, trunc, t_still, n, scale, lo, hi]
    go.click(on_video, [seed, label, trunc, t_start, t_end, frames, n, scale, lo, hi], [video, files])
    t_still.change(on_still, still_inputs, still, trigger_mode="always_last", show_progress="hidden")
    seed.change(on_still, still_inputs, still, trigger_mode="always_last", show_progress="hidden")
    gr.on([label.change, trunc.release, scale.change], on_still, still_inputs, still, trigger_mode="always_last")

    with gr.Tab("Diverse motion"):
        gr.Markdown("One content code (video 0 of the seed) with many motion codes: same scene, new motions.")
        with gr.Row():
            dm_frames = gr.Slider(2, min(max_frames, 256), tf, step=1, label="Frames")
            dm_n = gr.Slider(2, 16, 8, step=1, label="Motions")
            dm_go = gr.Button("Render", variant="primary")
        dm_video = gr.Video(label="Same content, new motions", autoplay=True, loop=True, interactive=False,
                            height=VIDEO_HEIGHT)
        dm_files = gr.File(label="Download (mp4, gif)", file_count="multiple", interactive=False)

    @as_ui_error
    def on_diverse(seed_, label_, trunc_, frames_, n_, progress=gr.Progress()):
        sd, lb, tr = common(seed_, label_, trunc_)
        progress(0.0, desc="rendering")
        v = explorer.diverse_motion(sd, int(frames_), int(n_), lb, tr)
        progress(0.9, desc="encoding mp4 and gif")
        return out.video(v, f"digan-seed{sd}-diverse-motion")

    dm_go.click(on_diverse, [seed, label, trunc, dm_frames, dm_n], [dm_video, dm_files])

    with gr.Tab("Content x motion swap"):
        gr.Markdown("Row i = content of video i, column j = motion of video j: the diagonal is the original videos.")
        with gr.Row():
            sw_frames = gr.Slider(2, min(max_frames, 256), tf, step=1, label="Frames")
            sw_c = gr.Slider(1, 8, 4, step=1, label="Contents (rows)")
            sw_m = gr.Slider(1, 8, 4, step=1, label="Motions (columns)")
            sw_go = gr.Button("Render", variant="primary")
        sw_video = gr.Video(label="Content x motion", autoplay=True, loop=True, interactive=False, height=VIDEO_HEIGHT)
        sw_files = gr.File(label="Download (mp4, gif)", file_count="multiple", interactive=False)

    @as_ui_error
    def on_swap(seed_, label_, trunc_, frames_, c_, m_, progress=gr.Progress()):
        sd, lb, tr = common(seed_, label_, trunc_)
        progress(0.0, desc="rendering")
        v = explorer.swap(sd, int(frames_), int(c_), int(m_), lb, tr)
        progress(0.9, desc="encoding mp4 and gif")
        return out.video(v, f"digan-seed{sd}-swap", nrow=int(m_))

    sw_go.click(on_swap, [seed, label, trunc, sw_frames, sw_c, sw_m], [sw_video, sw_files])

    with gr.Tab("Latent interpolation"):
        gr.Markdown("From video A to video B: w interpolated linearly (the INR-weight code), the motion code "
                    "spherically. The grid shows the path's steps as videos; the morph plays it as one video.")
        with gr.Row():
            seed_b = gr.Number(1, label="Seed of video B", precision=0, minimum=0)
            idx_a = gr.Number(0, label="Video A (index in the seed)", precision=0, minimum=0)
            idx_b = gr.Number(0, label="Video B (index in seed B)", precision=0, minimum=0)
            space = gr.Radio(["w", "z"], value="w", label="Interpolate")
        with gr.Row():
            li_steps = gr.Slider(2, 16, 8, step=1, label="Steps")
            li_frames = gr.Slider(2, min(max_frames, 256), tf, step=1, label="Frames per step video")
            mo_frames = gr.Slider(2, min(max_frames, 256), 32, step=1, label="Morph frames")
            li_go = gr.Button("Render", variant="primary")
        with gr.Row():
            li_video = gr.Video(label="Steps (one video each)", autoplay=True, loop=True, interactive=False,
                                height=VIDEO_HEIGHT)
            mo_video = gr.Video(label="Morph", autoplay=True, loop=True, interactive=False, height=VIDEO_HEIGHT)
        li_files = gr.File(label="Download (mp4, gif)", file_count="multiple", interactive=False)

    @as_ui_error
    def on_interpolate(seed_, label_, trunc_, seed_b_, a_, b_, space_, steps_, frames_, mframes_,
                       progress=gr.Progress()):
        sd, lb, tr = common(seed_, label_, trunc_)
        args = dict(seed_b=int(seed_b_ or 0), index_a=int(a_ or 0), index_b=int(b_ or 0), space=space_, label=lb,
                    truncation=tr)
        progress(0.0, desc="rendering the steps")
        grid = explorer.interpolate(sd, steps=int(steps_), frames=int(frames_), **args)
        progress(0.5, desc="rendering the morph")
        morph = explorer.morph(sd, frames=int(mframes_), **args)
        progress(0.9, desc="encoding mp4 and gif")
        g_mp4, g_files = out.video(grid, f"digan-seed{sd}-to-seed{args['seed_b']}", nrow=int(steps_))
        m_mp4, m_files = out.video(morph, f"digan-seed{sd}-to-seed{args['seed_b']}-morph")
        return g_mp4, m_mp4, g_files + m_files

    li_go.click(on_interpolate, [seed, label, trunc, seed_b, idx_a, idx_b, space, li_steps, li_frames, mo_frames],
                [li_video, mo_video, li_files])
