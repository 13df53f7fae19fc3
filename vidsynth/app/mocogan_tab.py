"""The MoCoGAN-HD tab: a video is a trajectory through a frozen StyleGAN2's latent space, so the
controls are the trajectory's parts.

- *Long video*: the LSTM motion generator unrolled past its training length (``vidsynth mocogan long``);
- *Content x motion*: row i = content code i, column j = motion noise j (``mocogan content-motion``);
- *PCA directions*: one video per principal direction, from -sigma to +sigma (``mocogan pca-explore``);
- *Prediction*: an uploaded first frame projected into the latent space and continued with several
  motions (``mocogan predict --image``).

:class:`MoCoGANHDExplorer` holds the callbacks (tensors out); :func:`build_mocogan_tab` lays them out.
The work is done by ``vidsynth.apps.mocogan_hd``; this file picks arguments and checks memory.
"""
from __future__ import annotations

import numpy as np
import torch

from vidsynth.app.limits import Limits
from vidsynth.app.ui import VIDEO_HEIGHT, as_ui_error
from vidsynth.apps.mocogan_hd import (content_motion_grid, pca_direction_videos, predict_video, unroll_videos)

MAX_PCA_SHOWN = 16      # checkboxes offered for the principal directions


class MoCoGANHDExplorer:
    """The MoCoGAN-HD callbacks; every video is ``[B, 3, T, H, W]`` in [-1, 1] on CPU."""

    def __init__(self, sampler, limits: Limits):
        self.sampler, self.limits = sampler, limits

    @property
    def num_pca(self) -> int:
        return int(self.sampler.motion_generator.pca_components.shape[0])

    @staticmethod
    def _positive(**values) -> None:
        for name, v in values.items():
            if int(v) < 1:
                raise ValueError(f"{name} must be at least 1, got {v}")

    def long(self, seed: int, n: int = 4, frames: int = 64) -> torch.Tensor:
        """``n`` videos of ``frames`` frames, any length (``vidsynth mocogan long``) -> ``[n, 3, frames, R, R]``."""
        self._positive(videos=n, frames=frames)
        self.limits.check(n, frames)
        return unroll_videos(self.sampler, n, frames, seed)

    def content_motion(self, seed: int, contents: int = 4, motions: int = 4, frames: int = 16) -> torch.Tensor:
        """Row-major ``[contents * motions, 3, T, R, R]`` (``vidsynth mocogan content-motion``)."""
        self._positive(contents=contents, motions=motions, frames=frames)
        self.limits.check(contents * motions, frames)
        return content_motion_grid(self.sampler, contents, motions, frames, seed).flatten(0, 1)

    def pca(self, seed: int, components, sigma: float = 3.0, frames: int = 16) -> torch.Tensor:
        """One video per principal direction ``k`` in ``components`` (``vidsynth mocogan pca-explore``)."""
        ks = sorted(int(k) for k in components)
        if not ks:
            raise ValueError("pick at least one principal direction")
        self._positive(frames=frames)
        self.limits.check(len(ks), frames)
        return pca_direction_videos(self.sampler, ks, frames, float(sigma), seed)

    def predict(self, image: np.ndarray, seed: int, frames: int = 16, motions: int = 4, steps: int = 200) -> dict:
        """Animate an uploaded image (uint8 ``[H, W, 3]``): ``{"video" [motions, 3, T, R, R], "projection"}``
        (``vidsynth mocogan predict --image``)."""
        if image is None:
            raise ValueError("upload a first frame (an image) to predict from")
        self._positive(frames=frames, motions=motions)
        self.limits.check(motions, frames)
        arr = np.asarray(image)[..., :3]                                        # drop alpha: RGB [H, W, 3]
        first = torch.from_numpy(arr.copy()).permute(2, 0, 1).float() / 127.5 - 1   # [3, H, W] in [-1, 1]
        return predict_video(self.sampler, first, frames, motions, seed, steps=int(steps))


def build_mocogan_tab(gr, explorer: MoCoGANHDExplorer, out, title: str) -> None:
    """The MoCoGAN-HD controls inside the current ``gr.Blocks``; renders go to ``out``."""
    s = explorer.sampler
    tf = s.train_frames
    max_frames = max(2, explorer.limits.max_frames(1, 1.0))
    gr.Markdown(f"**{title}** - MoCoGAN-HD, {s.resolution}x{s.resolution} px, motion generator trained on "
                f"{tf}-frame clips; {explorer.num_pca} principal directions. Requests over "
                f"{explorer.limits.budget / 2 ** 30:.1f} GiB are refused.")
    seed = gr.Number(0, label="Seed", precision=0, minimum=0, elem_id="mocogan-seed")

    def video_out(label: str, elem: str):
        v = gr.Video(label=label, autoplay=True, loop=True, interactive=False, height=VIDEO_HEIGHT,
                     elem_id=f"mocogan-{elem}-video")
        f = gr.File(label="Download (mp4, gif)", file_count="multiple", interactive=False)
        return v, f

    with gr.Tab("Long video"):
        gr.Markdown(f"The LSTM unrolls past its training length of {tf} frames.")
        with gr.Row():
            lv_n = gr.Slider(1, 16, 4, step=1, label="Videos")
            lv_frames = gr.Slider(2, min(max_frames, 1024), max(2 * tf, 2), step=1, label="Frames",
                                  elem_id="mocogan-frames")
            lv_go = gr.Button("Render", variant="primary", elem_id="mocogan-render")
        lv_video, lv_files = video_out("Long videos", "long")

    @as_ui_error
    def on_long(seed_, n_, frames_, progress=gr.Progress()):
        progress(0.0, desc="unrolling the motion generator")
        v = explorer.long(int(seed_ or 0), int(n_), int(frames_))
        progress(0.9, desc="encoding mp4 and gif")
        return out.video(v, f"mocogan-seed{int(seed_ or 0)}-long")

    lv_go.click(on_long, [seed, lv_n, lv_frames], [lv_video, lv_files])

    with gr.Tab("Content x motion"):
        gr.Markdown("Row i = content code i, column j = motion noise j.")
        with gr.Row():
            cm_c = gr.Slider(1, 8, 4, step=1, label="Contents (rows)")
            cm_m = gr.Slider(1, 8, 4, step=1, label="Motions (columns)")
            cm_frames = gr.Slider(2, min(max_frames, 256), tf, step=1, label="Frames")
            cm_go = gr.Button("Render", variant="primary")
        cm_video, cm_files = video_out("Content x motion", "grid")

    @as_ui_error
    def on_grid(seed_, c_, m_, frames_, progress=gr.Progress()):
        progress(0.0, desc="rendering")
        v = explorer.content_motion(int(seed_ or 0), int(c_), int(m_), int(frames_))
        progress(0.9, desc="encoding mp4 and gif")
        return out.video(v, f"mocogan-seed{int(seed_ or 0)}-content-motion", nrow=int(m_))

    cm_go.click(on_grid, [seed, cm_c, cm_m, cm_frames], [cm_video, cm_files])

    with gr.Tab("PCA directions"):
        gr.Markdown("Each row walks one principal direction of the latent space from -sigma to +sigma "
                    "standard deviations, starting at content code 0 of the seed.")
        shown = list(range(min(explorer.num_pca, MAX_PCA_SHOWN)))
        with gr.Row():
            pc_k = gr.CheckboxGroup([str(k) for k in shown], value=[str(k) for k in shown[:4]],
                                    label="Principal directions")
            pc_sigma = gr.Slider(0.5, 6.0, 3.0, step=0.5, label="Sigma")
            pc_frames = gr.Slider(2, min(max_frames, 256), 16, step=1, label="Frames")
            pc_go = gr.Button("Render", variant="primary")
        pc_video, pc_files = video_out("PCA walks", "pca")

    @as_ui_error
    def on_pca(seed_, ks, sigma, frames_, progress=gr.Progress()):
        progress(0.0, desc="rendering")
        v = explorer.pca(int(seed_ or 0), ks, sigma, int(frames_))
        progress(0.9, desc="encoding mp4 and gif")
        return out.video(v, f"mocogan-seed{int(seed_ or 0)}-pca", nrow=1)

    pc_go.click(on_pca, [seed, pc_k, pc_sigma, pc_frames], [pc_video, pc_files])

    with gr.Tab("Prediction"):
        gr.Markdown("Upload a first frame: it is projected into the image generator's latent space "
                    "(Adam on MSE + SSIM), then continued with several motions.")
        with gr.Row():
            pr_image = gr.Image(label="First frame", type="numpy", image_mode="RGB", sources=["upload"],
                                height=256)
            pr_fit = gr.Image(label="Projection (the model's closest frame)", type="filepath", interactive=False,
                              height=256)
        with gr.Row():
            pr_frames = gr.Slider(2, min(max_frames, 256), tf, step=1, label="Frames")
            pr_m = gr.Slider(1, 8, 4, step=1, label="Motions")
            pr_steps = gr.Slider(0, 1000, 200, step=10, label="Projection steps")
            pr_go = gr.Button("Predict", variant="primary")
        pr_info = gr.Markdown()
        pr_video, pr_files = video_out("Predicted continuations", "predict")

    @as_ui_error
    def on_predict(image, seed_, frames_, m_, steps_, progress=gr.Progress()):
        progress(0.0, desc="projecting the frame and rendering")
        result = explorer.predict(image, int(seed_ or 0), int(frames_), int(m_), int(steps_))
        progress(0.9, desc="encoding mp4 and gif")
        proj = result["projection"]
        fit = out.image(proj.image[:, :, None], "mocogan-projection")                 # [1, 3, 1, R, R]
        mp4, files = out.video(result["video"], f"mocogan-seed{int(seed_ or 0)}-predict", nrow=int(m_))
        return fit, f"Projection PSNR: {proj.psnr:.2f} dB after {len(proj.losses)} steps.", mp4, files

    pr_go.click(on_predict, [pr_image, seed, pr_frames, pr_m, pr_steps], [pr_fit, pr_info, pr_video, pr_files])
