"""The `warc` source kind: globs like `files`, and the size of the ranges read apart."""
import pathlib

import pytest

from newsbeam.config import ConfigError, WarcSource, load_config, parse_config

ROOT = pathlib.Path(__file__).parents[1]


def test_the_ccnews_example_keeps_its_bucket_paths():
    config = load_config(str(ROOT / "configs" / "ccnews.example.yaml"))
    (source,) = config.sources
    assert isinstance(source, WarcSource) and source.split_mb == 64
    assert source.patterns == [
        "s3://commoncrawl/crawl-data/CC-NEWS/2024/03/CC-NEWS-202403*.warc.gz"]
    assert config.output.startswith("gs://")


def test_local_globs_resolve_against_the_config_folder(tmp_path):
    config = parse_config({"output": "o", "sources": [
        {"name": "w", "kind": "warc", "path": ["crawl/*.warc.gz", "more/*.warc"]}]},
        str(tmp_path / "c.yaml"))
    assert config.sources[0].patterns == [str(tmp_path / "crawl" / "*.warc.gz"),
                                          str(tmp_path / "more" / "*.warc")]


@pytest.mark.parametrize("source, message", [
    ({"path": "x.warc.gz", "split_mb": 0}, "sources\\[0\\].split_mb: must be positive"),
    ({"path": ""}, "sources\\[0\\].path: give a glob"),
    ({"path": "x.warc.gz", "split_mb": "big"}, "split_mb: expected a number"),
    ({"path": "x.warc.gz", "url": "https://x"}, "unknown key 'url'"),
])
def test_bad_warc_sources(source, message, tmp_path):
    with pytest.raises(ConfigError, match=message):
        parse_config({"output": "o", "sources": [{"name": "w", "kind": "warc", **source}]},
                     str(tmp_path / "c.yaml"))
