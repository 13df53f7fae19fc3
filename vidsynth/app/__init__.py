"""``vidsynth app``: a local, offline web app (Gradio, the optional extra ``vidsynth[app]``) to
explore a trained model or browse a folder of runs.

- ``server``: the command, the offline switches, binding to localhost;
- ``blocks``: which tabs a path gets (DIGAN, MoCoGAN-HD, run browser);
- ``digan_tab`` / ``mocogan_tab`` / ``runs_tab``: each tab's callbacks (plain Python, tested against
  the CLI) and layout; ``limits``: the memory caps; ``outputs``: mp4/gif/png files; ``ui``: shared bits.

Gradio is imported only inside functions, so ``import vidsynth.app`` works without it.
"""
