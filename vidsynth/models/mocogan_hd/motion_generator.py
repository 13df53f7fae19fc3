"""MoCoGAN-HD motion generator G_M (Tian et al. 2021, Sec. 3.1, Eqs. 1-3, appendix A.1).

A video is a trajectory ``w_1, ..., w_T`` in the latent space of a frozen image generator G_I:

    (h_1, c_1) = LSTM_enc(w_1)                                   encode the content code
    (h_t, c_t) = LSTM_dec(e_t, (h_{t-1}, c_{t-1})),  e_t ~ N(0, I)  fresh noise per step, t >= 2
    w_t        = w_{t-1} + lambda * (tanh(h_t A + b) * std) @ V      Eq. 2: motion residual
                 (residual="first", not the paper's: w_1 + lambda * ..., a walk that stays near w_1)

``V`` [n_pca, D] are the top principal directions of the latent space and ``std`` their standard
deviations (see ``pca.py``); both are buffers of this module, so they travel with its state dict.
The residual is added to the *previous* latent (cumulative, as in the official code), so
``w_t - w_1`` is the sum of the first t-1 residuals, and with the same noise those residuals still
depend on ``w_1`` through the encoder state.

The mutual-information head H (Eq. 3) predicts the noise e_t from ``[h_t, c_t]``; maximising their
cosine similarity keeps the motion diverse (different noise -> different, recoverable motion).
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from vidsynth.config import MOTION_RESIDUALS  # config.py owns the names
from vidsynth.models.image_generator import LatentImageGenerator
from vidsynth.models.mocogan_hd.video_noise import (check_noise_mode, draw_video_noise, frame_noise,
                                                    has_noise_inputs)
from vidsynth.nn.precision import fp32_forward
from vidsynth.utils.heap import retain_heap


@dataclass
class MotionOutput:
    """Everything a forward pass produces; ``noise``/``hidden``/``cell`` cover steps t = 2..T."""
    latents: torch.Tensor  # [B, T, D]   w_1 .. w_T (latents[:, 0] is w_1)
    noise: torch.Tensor    # [B, T-1, noise_dim]  e_2 .. e_T
    hidden: torch.Tensor   # [B, T-1, hidden_dim] h_2 .. h_T
    cell: torch.Tensor     # [B, T-1, hidden_dim] c_2 .. c_T


def mutual_information_loss(predicted_noise: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
    """``-mean cos(H([h_t, c_t]), e_t)`` over every step and sample (Eq. 3); -1 for a perfect predictor.
    The noise is a constant target (detached), as in the official code."""
    return -F.cosine_similarity(predicted_noise, noise.detach(), dim=-1).mean()


def render_latents(image_generator: LatentImageGenerator, latents: torch.Tensor,
                   batch_size: int | None = None, noise_mode: str = "per_video",
                   video_noise: list[torch.Tensor] | None = None, generator: torch.Generator | None = None,
                   clamp: bool = True) -> torch.Tensor:
    """Latents ``[B, T, D]`` -> video ``[B, 3, T, R, R]``: every frame through G_I, batched over B*T
    (in chunks of ``batch_size`` frames if given).

    For an image generator with noise inputs (StyleGAN2), ``noise_mode`` picks the per-layer noise
    (``video_noise.py``): ``per_video`` uses ``video_noise`` (maps ``[B, 1, H, W]``, one set per video)
    or draws it from ``generator``, and shares it over each video's frames. ``clamp=False`` returns
    the raw frames (training, as the official code); other generators are called as ``synthesize(z)``.
    Rendering runs inside ``retain_heap`` (freed activations stay in the process heap for the next
    layer instead of being faulted in again page by page; see ``vidsynth/utils/heap.py``).
    """
    with retain_heap():
        return _render_latents(image_generator, latents, batch_size, noise_mode, video_noise, generator, clamp)


def _render_latents(image_generator, latents, batch_size, noise_mode, video_noise, generator, clamp):
    b, t, d = latents.shape
    flat = latents.reshape(b * t, d)
    step = b * t if batch_size is None or batch_size >= b * t else batch_size
    if not has_noise_inputs(image_generator):
        chunks = [image_generator.synthesize(flat[i:i + step]) for i in range(0, b * t, step)]
    else:
        check_noise_mode(noise_mode)
        maps = None
        if noise_mode == "per_video":
            if video_noise is None:
                video_noise = draw_video_noise(image_generator, b, generator)
            maps = frame_noise(video_noise, t)                          # num_layers x [B*T, 1, H, W]

        def render(i: int) -> torch.Tensor:                             # frames i .. i+step-1
            if maps is None:                                            # const / none
                return image_generator.synthesize(flat[i:i + step], noise_mode=noise_mode, clamp=clamp)
            return image_generator.synthesize(flat[i:i + step], noise=[m[i:i + step] for m in maps], clamp=clamp)
        chunks = [render(i) for i in range(0, b * t, step)]
    frames = torch.cat(chunks) if len(chunks) > 1 else chunks[0]          # [B*T, 3, R, R]
    return frames.reshape(b, t, *frames.shape[1:]).transpose(1, 2)  # [B, 3, T, R, R]


class MotionGenerator(nn.Module):
    """LSTM motion generator. Only this module trains in MoCoGAN-HD; G_I stays frozen.

    Args:
        latent_dim: size D of the image generator's latent (512 for StyleGAN2's W).
        hidden_dim: LSTM hidden size (384, appendix A.1).
        n_pca: number of principal directions used for motion (384); must be <= latent_dim.
        noise_dim: size of e_t (defaults to latent_dim: the decoder's input size is 512 in the paper).
        motion_scale: lambda of Eq. 2 (official default 0.2, every released script; the paper quotes 0.5 in-domain).
        mi_hidden: width of the two layers of H ([h, c] 2*hidden -> mi_hidden -> noise_dim).

    Until :meth:`set_pca` / :meth:`fit_pca` is called, V is the first n_pca standard basis vectors
    with unit std (``pca_fitted`` is False) so tiny tests and shape checks work without a PCA.
    """

    def __init__(self, latent_dim: int = 512, hidden_dim: int = 384, n_pca: int = 384, noise_dim: int | None = None,
                 motion_scale: float = 0.2, mi_hidden: int = 512, residual: str = "previous"):
        super().__init__()
        if n_pca > latent_dim:
            raise ValueError(f"n_pca ({n_pca}) cannot exceed latent_dim ({latent_dim})")
        if residual not in MOTION_RESIDUALS:
            raise ValueError(f"residual must be one of {', '.join(MOTION_RESIDUALS)} (Eq. 2: previous), got {residual!r}")
        # "previous": w_t = w_{t-1} + r_t (the paper's cumulative walk); "first": w_t = w_1 + r_t. The tiny
        # presets' cumulative walks collapse to one constant velocity that leaves the image manifold
        # (docs/performance.md, "One motion for every video"); from w_1 a walk stays within lambda * std.
        self.residual = residual
        self.latent_dim, self.hidden_dim, self.n_pca = latent_dim, hidden_dim, n_pca
        self.noise_dim = noise_dim or latent_dim
        self.motion_scale = motion_scale

        self.encoder = nn.LSTMCell(latent_dim, hidden_dim)        # LSTM_enc on w_1
        self.decoder = nn.LSTMCell(self.noise_dim, hidden_dim)    # LSTM_dec on e_t
        self.to_pca = nn.Linear(hidden_dim, n_pca)                # h_t -> coefficients on V (before tanh)
        self.noise_predictor = nn.Sequential(                     # H of Eq. 3
            nn.Linear(2 * hidden_dim, mi_hidden), nn.ReLU(), nn.Linear(mi_hidden, self.noise_dim))

        self.register_buffer("pca_components", torch.eye(latent_dim)[:n_pca].clone())  # V [n_pca, D]
        self.register_buffer("pca_std", torch.ones(n_pca))                              # [n_pca]
        self.register_buffer("latent_mean", torch.zeros(latent_dim))                    # [D] (for reference)
        self.register_buffer("pca_fitted", torch.tensor(False))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Official initialisation: each LSTM gate's weight block orthogonal, biases 0; H's linears
        orthogonal; the residual head N(0, 0.02) with zero bias, so early motion is small."""
        for cell in (self.encoder, self.decoder):
            for name, p in cell.named_parameters():
                if "weight" in name:
                    for block in p.data.chunk(4, dim=0):
                        nn.init.orthogonal_(block)
                else:
                    nn.init.zeros_(p)
        for m in self.noise_predictor:
            if isinstance(m, nn.Linear):
                nn.init.orthogonal_(m.weight)
        nn.init.normal_(self.to_pca.weight, std=0.02)
        nn.init.zeros_(self.to_pca.bias)

    # --- PCA buffers -----------------------------------------------------------------------------
    @torch.no_grad()
    def set_pca(self, components: torch.Tensor, std: torch.Tensor, mean: torch.Tensor | None = None) -> None:
        """Install a PCA (e.g. from :func:`fit_latent_pca`); extra components beyond ``n_pca`` are dropped."""
        if components.shape[0] < self.n_pca or components.shape[1] != self.latent_dim:
            raise ValueError(f"need components [>= {self.n_pca}, {self.latent_dim}], got {tuple(components.shape)}")
        self.pca_components.copy_(components[: self.n_pca])
        self.pca_std.copy_(std[: self.n_pca])
        if mean is not None:
            self.latent_mean.copy_(mean)
        self.pca_fitted.fill_(True)

    def fit_pca(self, image_generator: LatentImageGenerator, num_samples: int = 1_000_000, **kwargs) -> None:
        """Run :func:`fit_latent_pca` on ``image_generator`` and store the result in the buffers."""
        from vidsynth.models.mocogan_hd.pca import fit_latent_pca
        pca = fit_latent_pca(image_generator, num_samples=num_samples, n_components=self.n_pca, **kwargs)
        self.set_pca(pca.components.to(self.pca_components), pca.std.to(self.pca_std), pca.mean.to(self.latent_mean))

    @property
    def motion_basis(self) -> torch.Tensor:
        """``V`` with each row scaled by its std: ``[n_pca, D]``."""
        return self.pca_components * self.pca_std[:, None]

    # --- forward ---------------------------------------------------------------------------------
    def sample_noise(self, batch: int, num_frames: int, generator: torch.Generator | None = None,
                     device: torch.device | str | None = None) -> torch.Tensor:
        """The motion noise e_2..e_T ``[B, T-1, noise_dim]`` ~ N(0, I)."""
        device = device if device is not None else self.pca_components.device
        return torch.randn(batch, num_frames - 1, self.noise_dim, generator=generator, device=device)

    @fp32_forward    # fp32 under autocast too: the small LSTM's bf16 gradients went NaN at step 1 (gpu_check)
    def forward(self, w1: torch.Tensor, num_frames: int, generator: torch.Generator | None = None,
                noise: torch.Tensor | None = None) -> MotionOutput:
        """Unroll ``num_frames`` steps from the content code ``w1 [B, D]`` (any length, also beyond the
        training length). ``noise [B, >= T-1, noise_dim]`` fixes the motion; otherwise it is drawn
        from ``generator``. Reusing the noise with another ``w1`` gives "same motion, new content"."""
        b = w1.shape[0]
        if num_frames < 1:
            raise ValueError("num_frames must be >= 1")
        if noise is None:
            noise = self.sample_noise(b, num_frames, generator, device=w1.device)
        if noise.shape[0] != b or noise.shape[1] < num_frames - 1 or noise.shape[2] != self.noise_dim:
            raise ValueError(f"noise must be [{b}, >= {num_frames - 1}, {self.noise_dim}], got {tuple(noise.shape)}")
        noise = noise[:, : num_frames - 1].to(w1)
        basis = self.motion_basis.to(w1)                    # [n_pca, D]

        h, c = self.encoder(w1)                             # [B, H] each
        latents, hs, cs = [w1], [], []
        for t in range(num_frames - 1):
            h, c = self.decoder(noise[:, t], (h, c))
            coeff = torch.tanh(self.to_pca(h))              # [B, n_pca] in (-1, 1)
            base = latents[-1] if self.residual == "previous" else w1
            latents.append(base + self.motion_scale * coeff @ basis)     # Eq. 2 (cumulative unless "first")
            hs.append(h)
            cs.append(c)
        empty = w1.new_zeros(b, 0, self.hidden_dim)
        return MotionOutput(
            latents=torch.stack(latents, 1),
            noise=noise,
            hidden=torch.stack(hs, 1) if hs else empty,
            cell=torch.stack(cs, 1) if cs else empty)

    def predict_noise(self, motion: MotionOutput) -> torch.Tensor:
        """H([h_t, c_t]) -> predicted e_t, ``[B, T-1, noise_dim]``."""
        return self.noise_predictor(torch.cat([motion.hidden, motion.cell], dim=-1))

    @fp32_forward
    def mutual_information_loss(self, motion: MotionOutput) -> torch.Tensor:
        return mutual_information_loss(self.predict_noise(motion), motion.noise)
