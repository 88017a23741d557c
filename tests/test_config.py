import dataclasses
import pathlib

import pytest

from newsbeam.config import ConfigError, FetchSettings, FilesSource, load_config, parse_config

ROOT = pathlib.Path(__file__).parents[1]


def parse(raw, tmp_path):
    return parse_config(raw, str(tmp_path / "c.yaml"))


def test_fixtures_config_resolves_paths_against_its_folder():
    config = load_config(str(ROOT / "configs" / "fixtures.yaml"))
    (source,) = config.sources
    assert isinstance(source, FilesSource)
    assert source.patterns == [str(ROOT / "tests" / "fixtures" / "*.txt")]
    assert config.output == str(ROOT / "out" / "fixtures")


def test_uris_with_a_scheme_are_kept_as_written(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = parse({"output": "gs://bucket/news", "sources": [
        {"name": "a", "kind": "files", "path": ["s3://b/in/*.html", "local/*.txt"]},
        {"name": "u", "kind": "urls", "path": "gs://bucket/urls.txt"}]}, tmp_path)
    assert config.output == "gs://bucket/news"
    assert config.sources[0].patterns == ["s3://b/in/*.html", str(tmp_path / "local" / "*.txt")]
    assert config.sources[1].path == "gs://bucket/urls.txt"
    override = load_config(str(ROOT / "configs" / "fixtures.yaml"), output="gs://x/y")
    assert override.output == "gs://x/y"


def test_output_flag_overrides_config_and_is_relative_to_cwd(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = load_config(str(ROOT / "configs" / "fixtures.yaml"), output="elsewhere")
    assert config.output == str(tmp_path / "elsewhere")


@pytest.mark.parametrize("raw, message", [
    ([], "expected a mapping"),
    ({"sources": [], "output": "o"}, "sources: give a non-empty list"),
    ({"sources": [{"name": "a", "kind": "files", "path": "*.txt"}]}, "output: set an output"),
    ({"output": "o", "sources": [{"name": "a", "kind": "rss"}]}, "sources[0].kind: 'rss' is not one of"),
    ({"output": "o", "sources": [{"name": "a", "kind": "files", "pth": "x"}]},
     "sources[0]: unknown key 'pth'"),
    ({"output": "o", "sources": [{"kind": "files", "path": "x"}]},
     "sources[0]: missing required key 'name'"),
    ({"output": "o", "sources": [{"name": "a", "kind": "files", "path": 3}]},
     "sources[0].path: expected a string or a list of strings, got int 3"),
    ({"output": "o", "limits": {"max_document_bytes": "big"}, "sources": []},
     "limits.max_document_bytes: expected an integer"),
    ({"output": "o", "limits": {"max_document_bytes": 0}, "sources": []},
     "limits.max_document_bytes: must be positive"),
    ({"output": "o", "limits": {"extract_timeout_seconds": -1}, "sources": []},
     "limits.extract_timeout_seconds: must be 0 (off) or positive"),
    ({"output": "o", "limits": {"extract_processes": -2}, "sources": []},
     "limits.extract_processes: must be 0 (as many as cores) or positive"),
    ({"output": "o", "extra": 1, "sources": []}, "config: unknown key 'extra'"),
])
def test_bad_configs_fail_with_one_clear_line(raw, message, tmp_path):
    with pytest.raises(ConfigError) as err:
        parse(raw, tmp_path)
    assert any(message in problem for problem in err.value.problems)
    assert all("\n" not in problem for problem in err.value.problems)


def test_duplicate_source_names_are_refused(samples_dir, tmp_path):
    source = {"name": "a", "kind": "files", "path": str(samples_dir / "*.txt")}
    with pytest.raises(ConfigError, match="sources\\[1\\].name: 'a' is used by another source"):
        parse({"output": "o", "sources": [source, source]}, tmp_path)


def test_missing_and_invalid_files(tmp_path):
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(str(tmp_path / "nope.yaml"))
    bad = tmp_path / "bad.yaml"
    bad.write_text("sources: [unclosed\n")
    with pytest.raises(ConfigError, match="is not valid YAML"):
        load_config(str(bad))


def test_live_sources_and_fetch_settings(tmp_path):
    (tmp_path / "urls.txt").write_text("# picked by hand\nhttps://a.example/1\n\nhttps://a.example/1\nhttp://b.example/2\n")
    config = parse({"output": "o", "fetch": {"per_host_concurrency": 4, "allowed_networks": ["10.0.0.0/8"]},
                    "sources": [
                        {"name": "f", "kind": "feed", "url": "https://a.example/rss"},
                        {"name": "u", "kind": "urls", "path": "urls.txt"},
                        {"name": "s", "kind": "sitemap", "url": "https://a.example/sitemap.xml", "since": "2d"},
                    ]}, tmp_path)
    feed, urls, sitemap = config.sources
    assert urls.path == str(tmp_path / "urls.txt")
    assert sitemap.since_seconds == 2 * 86400
    assert config.fetch.per_host_concurrency == 4 and config.fetch.respect_robots
    assert not config.fetch.allow_private_networks  # safe by default


@pytest.mark.parametrize("source, fetch, message", [
    ({"kind": "feed", "url": "ftp://a/x"}, {}, "sources[0].url: 'ftp://a/x' is not an http or https URL"),
    ({"kind": "feed"}, {}, "sources[0].url: '' is not an http"),
    ({"kind": "urls", "urls": ["https://a/1", "nope"]}, {}, "sources[0].urls[1]: 'nope' is not"),
    ({"kind": "urls"}, {}, "sources[0]: give either 'urls'"),
    ({"kind": "sitemap", "url": "https://a/s.xml", "since": "yesterday"}, {}, "sources[0].since: 'yesterday'"),
    ({"kind": "feed", "url": "https://a/f"}, {"read_timeout_seconds": 0}, "fetch.read_timeout_seconds: must be positive"),
    ({"kind": "feed", "url": "https://a/f"}, {"allowed_networks": ["lan"]}, "fetch.allowed_networks: 'lan'"),
    ({"kind": "feed", "url": "https://a/f"}, {"allow_private": True}, "fetch: unknown key 'allow_private'"),
])
def test_bad_live_source_configs(source, fetch, message, tmp_path):
    with pytest.raises(ConfigError) as err:
        parse({"output": "o", "fetch": fetch, "sources": [{"name": "a", **source}]}, tmp_path)
    assert message in str(err.value)


def load(tmp_path, text: str):
    path = tmp_path / "c.yaml"
    path.write_text(text)
    return load_config(str(path))


def test_every_problem_of_a_config_is_reported_at_once(tmp_path):
    with pytest.raises(ConfigError) as err:
        load(tmp_path, """\
output: o
output: p
limits: {extract_timeout_seconds: .inf, min_words: 0}
fetch: {total_timeout_seconds: .nan, read_timeout_seconds: -1, allow_private: true}
dedup: {near: {threshold: 2}}
sources:
  - {name: a, kind: feed, url: "http://[::1"}
  - {name: a, kind: urls, urls: ["https://ok.example/1", "http://[::1/x"]}
  - {name: b, kind: rss}
  - {name: c, kind: [files]}
""")
    assert err.value.problems == [
        "line 2: key 'output' is given twice in one mapping",
        "limits.extract_timeout_seconds: must be a finite number, got inf",
        "limits.min_words: must be at least 1",
        "fetch: unknown key 'allow_private' (allowed: " + ", ".join(
            f.name for f in dataclasses.fields(FetchSettings)) + ")",
        "fetch.total_timeout_seconds: must be a finite number, got nan",
        "dedup.near.threshold: must be in (0, 1]",
        "sources[0].url: 'http://[::1' is not an http or https URL",
        "sources[1].name: 'a' is used by another source",
        "sources[1].urls[1]: 'http://[::1/x' is not an http or https URL",
        "sources[2].kind: 'rss' is not one of: files, warc, feed, urls, sitemap",
        "sources[3].kind: ['files'] is not one of: files, warc, feed, urls, sitemap",
    ]
    assert str(err.value) == "\n".join(err.value.problems)


@pytest.mark.parametrize("section, key, value", [
    ("limits", "extract_timeout_seconds", ".inf"),
    ("limits", "extract_timeout_seconds", ".nan"),
    ("fetch", "total_timeout_seconds", ".nan"),
    ("fetch", "total_timeout_seconds", ".inf"),
    ("fetch", "per_host_delay_seconds", "-.inf"),
    ("dedup", "near", "{threshold: .nan}"),
])
def test_numbers_that_are_not_finite_are_refused(tmp_path, section, key, value):
    with pytest.raises(ConfigError) as err:
        load(tmp_path, f"output: o\n{section}: {{{key}: {value}}}\n"
                       "sources: [{name: f, kind: feed, url: 'https://a.example/rss'}]\n")
    (problem,) = err.value.problems
    assert "must be a finite number" in problem or "must be in (0, 1]" in problem


def test_a_key_given_twice_is_refused_at_any_depth_but_merge_keys_may_override(tmp_path):
    with pytest.raises(ConfigError) as err:
        load(tmp_path, "output: o\nsources:\n  - name: f\n    kind: feed\n"
                       "    url: https://a.example/rss\n    url: https://b.example/rss\n")
    assert err.value.problems == ["line 6: key 'url' is given twice in one mapping"]
    merged = load(tmp_path, "output: o\nsources:\n  - &f {name: f, kind: feed, "
                            "url: 'https://a.example/rss'}\n"
                            "  - {<<: *f, name: g, url: 'https://b.example/rss'}\n")
    assert [s.url for s in merged.sources] == ["https://a.example/rss", "https://b.example/rss"]


def test_a_config_nested_too_deeply_is_a_config_error_not_a_recursion_error(tmp_path):
    with pytest.raises(ConfigError, match="is nested too deeply to be a config"):
        load(tmp_path, "output: " + "[" * 5000 + "]" * 5000 + "\n")
