"""vidsynth: video synthesis with content/motion-decomposed GANs (DIGAN, MoCoGAN-HD) in pure PyTorch.

Quick start::

    import vidsynth
    g = vidsynth.load("runs/00000-digan-shapes")   # a run folder or an exported model folder
    videos = g.sample(4, frames=16, seed=0)          # float [4, 3, 16, H, W] in [-1, 1]
"""
__version__ = "0.1.0"


def load(path, device="cpu"):
    """Load a trained generator (never unpickles): a run folder (its latest ``model/``), a snapshot folder
    (``model-<kimg>/``, ``model-best/``), a ``vidsynth export`` folder, or a ``training_state-*.pt`` checkpoint."""
    from vidsynth.loader import load_generator

    return load_generator(path, device=device)


__all__ = ["load", "__version__"]
