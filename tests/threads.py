"""One torch thread for the test folders whose tests train or render many tiny models (the CI machine
has 2 cores; a thread pool per tiny op costs more than it gains). A conftest opts in with
``_one_thread = one_thread_fixture()``."""
import pytest
import torch


def one_thread_fixture():
    @pytest.fixture(autouse=True, scope="session")
    def _one_thread():
        old = torch.get_num_threads()
        torch.set_num_threads(1)
        yield
        torch.set_num_threads(old)

    return _one_thread
