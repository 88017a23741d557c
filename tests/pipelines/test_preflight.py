"""A config is checked against the world before a run: one ConfigError line per problem."""
import pytest

from newsbeam.config import ConfigError, parse_config
from newsbeam.pipelines.preflight import preflight


def config(tmp_path, sources, output=None):
    raw = {"output": output or str(tmp_path / "out"), "sources": sources,
           "dedup": {"cross_run": False}}
    return parse_config(raw, str(tmp_path / "c.yaml"))


def problem(cfg) -> str:
    with pytest.raises(ConfigError) as err:
        preflight(cfg)
    assert "\n" not in str(err.value)
    return str(err.value)


def test_a_good_config_passes(tmp_path, samples_dir):
    (tmp_path / "urls.txt").write_text("# one\nhttps://a.example/1\n")
    preflight(config(tmp_path, [
        {"name": "s", "kind": "files", "path": str(samples_dir / "*.txt")},
        {"name": "u", "kind": "urls", "path": "urls.txt"}]))


def test_a_glob_that_matches_no_file(tmp_path):
    message = problem(config(tmp_path, [{"name": "a", "kind": "files", "path": "nothing-*.txt"}]))
    assert message == f"sources[0].path: '{tmp_path}/nothing-*.txt' matches no file"


@pytest.mark.parametrize("content, message", [
    (None, "sources[0].path: no file"),
    (b"https://a.example/1\nnot a url\n", "sources[0].path: 'not a url' is not an http"),
    (b"\xff\xfe\x00binary\x00", "is not a UTF-8 text file of URLs"),
])
def test_url_lists_that_cannot_be_used(tmp_path, content, message):
    if content is not None:
        (tmp_path / "urls.txt").write_bytes(content)
    assert message in problem(config(tmp_path, [{"name": "u", "kind": "urls", "path": "urls.txt"}]))


def test_an_output_on_a_filesystem_beam_lacks_is_refused_not_written_locally(
        tmp_path, samples_dir, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cfg = config(tmp_path, [{"name": "s", "kind": "files", "path": str(samples_dir / "*.txt")}],
                 output="gs://bucket/news")
    assert problem(cfg) == "output: gs:// needs apache-beam[gcp] (gs://bucket/news)"
    assert "nowhere://x" in problem(config(tmp_path, [
        {"name": "s", "kind": "files", "path": "nowhere://x/*.txt"}]))
    assert not (tmp_path / "gs:").exists()
