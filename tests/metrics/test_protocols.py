import pytest

from vidsynth.errors import ConfigError
from vidsynth.metrics.protocols import parse_protocol


def test_presets_and_general_names():
    p = parse_protocol("fvd2048_128f_subsample8f")
    assert (p.kind, p.num_real, p.num_fake, p.frames, p.subsample, p.frames_used) == ("fvd", 2048, 2048, 128, 8, 16)
    assert parse_protocol("kvd2048_16f").frames_used == 16
    p = parse_protocol("fvd256_16f", num_fake=100)
    assert (p.num_real, p.num_fake) == (256, 100)
    assert parse_protocol("acd100_16f").num_real == 0
    assert parse_protocol("is10000_16f").kind == "is"


@pytest.mark.parametrize("bad", ["fid", "fvd2048", "fvd_16f", "fvd2048_8f", "fvd2048_32f_subsample4f", "xyz10_16f"])
def test_bad_names(bad):
    with pytest.raises(ConfigError):
        parse_protocol(bad)
