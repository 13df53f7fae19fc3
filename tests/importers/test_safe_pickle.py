"""The restricted unpickler: hostile pickles are refused before anything runs (a marker file proves it)."""
import os
import pickle

import pytest
import torch

from tests.importers.fake_persistence import Persistent, module_tree, write_pickle
from vidsynth.importers.safe_pickle import (PersistentObject, UnsafePickleError, flatten_state_dict,
                                            read_network_pickle)


class SystemCall:
    """``__reduce__`` -> os.system(command): what a malicious checkpoint does."""

    def __init__(self, command):
        self.command = command

    def __reduce__(self):
        return (os.system, (self.command,))


class BuiltinCall:
    """``__reduce__`` -> builtins.exec(code)."""

    def __init__(self, code):
        self.code = code

    def __reduce__(self):
        return (exec, (self.code,))


def test_reduce_calling_os_system_is_refused(tmp_path):
    marker = tmp_path / "marker"
    path = tmp_path / "evil.pkl"
    path.write_bytes(pickle.dumps({"G_ema": SystemCall(f"touch {marker}")}, protocol=3))
    with pytest.raises(UnsafePickleError, match=r"refused to load (os|posix)\.system.*Nothing from the file was run"):
        read_network_pickle(path)
    assert not marker.exists()
    # Sanity: the same bytes under plain pickle DO run the command (so the test can fail).
    pickle.loads(path.read_bytes())
    assert marker.exists()


def test_global_from_builtins_is_refused(tmp_path):
    marker = tmp_path / "marker"
    path = tmp_path / "evil.pkl"
    path.write_bytes(pickle.dumps([BuiltinCall(f"open({str(marker)!r}, 'w')")], protocol=2))
    with pytest.raises(UnsafePickleError, match=r"refused to load builtins\.exec"):
        read_network_pickle(path)
    assert not marker.exists()
    for name in (b"eval", b"getattr", b"__import__", b"open"):
        raw = b"\x80\x02cbuiltins\n" + name + b"\nq\x00."
        (tmp_path / "g.pkl").write_bytes(raw)
        with pytest.raises(UnsafePickleError, match=f"builtins.{name.decode()}"):
            read_network_pickle(tmp_path / "g.pkl")


def test_nested_persistence_object_with_code_is_inert_and_nested_call_refused(tmp_path):
    marker = tmp_path / "marker"
    code = f"import os\nos.system('touch {marker}')\n"
    layer = module_tree({"weight": torch.ones(2, 2)}, "FullyConnectedLayer", module_src=code)
    net = module_tree({}, "Generator", module_src=code)
    net.state["_modules"]["fc"] = layer
    path = write_pickle(tmp_path / "code.pkl", {"G_ema": net})
    obj = read_network_pickle(path)["G_ema"]
    assert isinstance(obj, PersistentObject) and obj.source_chars == len(code)
    assert set(flatten_state_dict(obj)) == {"fc.weight"}
    assert not marker.exists()                          # the code string was never executed
    # A persistence record whose state hides a call: refused when the call is met.
    net.state["_init_kwargs"] = {"cfg": SystemCall(f"touch {marker}")}
    with pytest.raises(UnsafePickleError, match="system"):
        read_network_pickle(write_pickle(tmp_path / "nested.pkl", {"G_ema": net}))
    assert not marker.exists()


def test_malformed_persistence_record_is_refused(tmp_path):
    rec = Persistent("Generator", state="not a dict")
    with pytest.raises(UnsafePickleError, match="has no state dict"):
        read_network_pickle(write_pickle(tmp_path / "m.pkl", rec))


def test_storage_bytes_are_read_weights_only(tmp_path):
    """Tensors travel as torch.save bytes inside the pickle; a code-running payload there is refused too."""
    import io
    evil = io.BytesIO()
    torch.save({"x": SystemCall(f"touch {tmp_path / 'm'}")}, evil)
    raw = pickle.dumps(torch.ones(3), protocol=3)
    good = read_network_pickle_bytes(tmp_path, raw)
    assert torch.equal(good, torch.ones(3))
    from vidsynth.importers.safe_pickle import _load_storage_from_bytes
    with pytest.raises(UnsafePickleError):
        _load_storage_from_bytes(evil.getvalue())
    assert not (tmp_path / "m").exists()


def read_network_pickle_bytes(tmp_path, raw):
    (tmp_path / "t.pkl").write_bytes(raw)
    return read_network_pickle(tmp_path / "t.pkl")


def test_not_a_pickle(tmp_path):
    (tmp_path / "x.pkl").write_bytes(b"hello")
    from vidsynth.errors import CheckpointError
    with pytest.raises(CheckpointError, match="not a readable network pickle"):
        read_network_pickle(tmp_path / "x.pkl")


@pytest.mark.parametrize("protocol", [2, 3, 4, 5])
def test_every_pickle_protocol_reads_the_same_state(tmp_path, protocol):
    """Python 3.7 (protocol 3) and 3.8+ (protocol 4) snapshots, and the older/newer protocols."""
    layer = module_tree({"weight": torch.arange(6.0).view(2, 3), "resample_filter": torch.ones(4, 4)}, "Layer")
    net = module_tree({"bias": torch.tensor([1.5, -2.0])}, "Net")
    seq = torch.nn.Sequential()
    seq._modules = {"0": layer}
    net.state["_modules"]["mlp"] = seq
    obj = read_network_pickle(write_pickle(tmp_path / "p.pkl", {"G_ema": net}, protocol=protocol))
    state = flatten_state_dict(obj["G_ema"])
    assert sorted(state) == ["bias", "mlp.0.resample_filter", "mlp.0.weight"]
    assert torch.equal(state["mlp.0.weight"], torch.arange(6.0).view(2, 3))
    assert torch.equal(state["bias"], torch.tensor([1.5, -2.0]))
