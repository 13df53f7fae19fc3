import pytest
import torch


@pytest.fixture
def one_thread():
    """Small ops on a loaded 2-core machine stall in OpenMP synchronisation with >1 thread."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)
