"""The config's ``stream`` section (newsbeam stream)."""
import pytest

from newsbeam.config import ConfigError, StreamConfig, parse_config

BASE = {"output": "/tmp/out", "sources": [{"name": "u", "kind": "urls", "urls": ["https://e.com/a"]}]}


def test_stream_defaults_and_durations():
    config = parse_config(BASE, "/tmp/c.yaml")
    assert config.stream == StreamConfig()
    assert (config.stream.seconds("window"), config.stream.seconds("dedup_ttl")) == (300, 3 * 86400)
    config = parse_config({**BASE, "stream": {"window": "30s", "subscription": "projects/p/subscriptions/s"}},
                          "/tmp/c.yaml")
    assert config.stream.seconds("window") == 30 and config.stream.subscription.endswith("/s")


@pytest.mark.parametrize("stream, message", [
    ({"window": "soon"}, "stream.window"), ({"dedup_ttl": "1m", "window": "5m"}, "dedup_ttl"),
    ({"windows": "5m"}, "windows")])
def test_bad_stream_sections_are_config_errors(stream, message):
    with pytest.raises(ConfigError, match=message):
        parse_config({**BASE, "stream": stream}, "/tmp/c.yaml")
