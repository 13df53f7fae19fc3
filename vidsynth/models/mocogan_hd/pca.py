"""Principal directions of an image generator's latent space (MoCoGAN-HD, appendix A.1).

The motion generator moves a latent along the top principal directions of the latent distribution,
each scaled by its standard deviation, so one unit of motion means "one std" in every direction.
The paper samples 1e6 latents (W = mapping(z) for StyleGAN2, Z for BigGAN) and keeps 384 components.

We stream: mean and covariance are accumulated in float64 batch by batch (Chan et al.'s pairwise
update), so 1e6 x 512 samples never sit in memory; then one symmetric eigendecomposition. The result
equals a direct PCA of all samples (covariance with the n - 1 denominator, as sklearn's PCA).
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from tqdm.auto import tqdm

from vidsynth.models.image_generator import LatentImageGenerator


@dataclass
class LatentPCA:
    components: torch.Tensor  # V    [n_components, latent_dim], unit rows, by decreasing variance
    std: torch.Tensor         # sqrt(eigenvalue) [n_components]
    mean: torch.Tensor        # [latent_dim]
    explained_variance_ratio: torch.Tensor  # [n_components], fraction of the total variance

    def __iter__(self):  # lets callers write ``V, std, mean = fit_latent_pca(...)``
        return iter((self.components, self.std, self.mean))


class StreamingCovariance:
    """Running mean and scatter matrix of row vectors in float64."""

    def __init__(self, dim: int, device: torch.device | str = "cpu"):
        self.count = 0
        self.mean = torch.zeros(dim, dtype=torch.float64, device=device)
        self.scatter = torch.zeros(dim, dim, dtype=torch.float64, device=device)  # sum of centred outer products

    def update(self, x: torch.Tensor) -> None:
        x = x.detach().to(torch.float64).reshape(-1, self.mean.numel())  # [n, D]
        n = x.shape[0]
        if n == 0:
            return
        batch_mean = x.mean(0)
        centred = x - batch_mean
        batch_scatter = centred.T @ centred
        delta = batch_mean.to(self.mean.device) - self.mean
        total = self.count + n
        self.scatter += batch_scatter.to(self.scatter.device) + torch.outer(delta, delta) * (self.count * n / total)
        self.mean += delta * (n / total)
        self.count = total

    def covariance(self) -> torch.Tensor:
        if self.count < 2:
            raise ValueError("need at least two samples for a covariance")
        return self.scatter / (self.count - 1)


def pca_from_covariance(cov: torch.Tensor, n_components: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Top ``n_components`` eigenvectors (rows, sign fixed so the largest-|.| entry is positive), their
    std and explained-variance ratio, from a symmetric covariance matrix."""
    eigvals, eigvecs = torch.linalg.eigh(cov)            # ascending
    order = torch.argsort(eigvals, descending=True)[:n_components]
    eigvals = eigvals[order].clamp_min(0)
    components = eigvecs[:, order].T                     # [k, D]
    rows = torch.arange(components.shape[0])
    signs = torch.sign(components[rows, components.abs().argmax(1)])
    components = components * signs[:, None]
    ratio = eigvals / torch.diagonal(cov).sum()
    return components, eigvals.sqrt(), ratio


@torch.no_grad()
def fit_latent_pca(image_generator: LatentImageGenerator, num_samples: int = 1_000_000, n_components: int = 384,
                   batch_size: int = 4000, generator: torch.Generator | None = None,
                   progress: bool = True) -> LatentPCA:
    """PCA of ``num_samples`` latents from ``image_generator.sample_latents``.

    Returns float32 ``(V [n_components, latent_dim], std [n_components], mean [latent_dim])`` (also as
    a :class:`LatentPCA` with the explained-variance ratio). Deterministic given ``generator``'s seed.
    Defaults follow the official scripts: 250 batches of 4000 = 1e6 samples.
    """
    dim = image_generator.latent_dim
    if not 1 <= n_components <= dim:
        raise ValueError(f"n_components must be in [1, {dim}], got {n_components}")
    stats = None
    with tqdm(total=num_samples, desc="latent PCA", unit="latent", disable=not progress) as bar:
        done = 0
        while done < num_samples:
            n = min(batch_size, num_samples - done)
            latents = image_generator.sample_latents(n, generator=generator)  # [n, D]
            if stats is None:
                stats = StreamingCovariance(dim, device=latents.device)
            stats.update(latents)
            done += n
            bar.update(n)
    components, std, ratio = pca_from_covariance(stats.covariance(), n_components)
    return LatentPCA(components.float().cpu(), std.float().cpu(), stats.mean.float().cpu(), ratio.float().cpu())
