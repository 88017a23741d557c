"""``newsbeam extract``: one page through fetch (or read), extract and normalize."""
from __future__ import annotations

import io
import json

import pytest

from newsbeam.cli import main
from tests.helpers.loopback import LoopbackSites, Reply
from tests.helpers.news_sites import article_page, sample
from tests.helpers.runs import SAMPLES



@pytest.fixture
def fast_config(tmp_path):
    """Extraction in-process: the time limit's child process costs seconds to start."""
    path = tmp_path / "c.yaml"
    path.write_text("output: out\nlimits: {extract_timeout_seconds: 0}\nsources:\n"
                    "  - {name: x, kind: urls, urls: ['https://a.example/']}\n")
    return str(path)


def routes(request):
    if request.path == "/news/1":
        return Reply(200, article_page(1), {"Content-Type": "text/html; charset=utf-8"})
    return Reply(404, b"not here")


def test_a_url_becomes_its_article_row_as_json(fast_config, capsys):
    with LoopbackSites(["127.0.0.1"], routes) as site:
        url = site.url("127.0.0.1", "/news/1")
        assert main(["extract", url, "--allow-private-networks", "--config", fast_config]) == 0
    row = json.loads(capsys.readouterr().out)
    assert row["title"] == sample(1)[0] and row["url"] == url
    assert row["canonical_url"] == url and row["authors"] == ["Staff Reporter"]
    assert row["published_at"].startswith("2025-05-20T09:00:00") and row["word_count"] > 200


def test_a_private_address_is_refused_with_one_line_and_exit_4(capsys):
    with LoopbackSites(["127.0.0.1"], routes) as site:
        assert main(["extract", site.url("127.0.0.1", "/news/1")]) == 4
        assert site.requests == []  # nothing was sent to the private address
    out, err = capsys.readouterr()
    assert out == ""
    (line,) = err.splitlines()
    assert line.startswith("newsbeam: rejected: fetch: private_address (")
    # the refusal names its way out
    assert "--allow-private-networks" in line and "fetch.allow_private_networks" in line


def test_a_file_as_text_and_stdin_as_json(fast_config, tmp_path, capsys, monkeypatch):
    title, paragraphs = sample(0)
    assert main(["extract", str(SAMPLES[0]), "--format", "text", "--config", fast_config]) == 0
    text = capsys.readouterr().out
    assert text.startswith(f"{title}\n\n") and paragraphs[-1][:40] in text
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(article_page(2))))
    assert main(["extract", "-", "--config", fast_config]) == 0
    row = json.loads(capsys.readouterr().out)
    assert row["title"] == sample(2)[0] and row["input"] == "<stdin>"


def test_rejects_and_bad_targets(fast_config, tmp_path, capsys, monkeypatch):
    stub = tmp_path / "stub.html"
    stub.write_text("<html><body><p>Too short.</p></body></html>")
    assert main(["extract", str(stub), "--config", fast_config]) == 4
    assert capsys.readouterr().err.startswith("newsbeam: rejected: ")
    assert main(["extract", str(tmp_path / "missing.html")]) == 2
    assert capsys.readouterr().err == (
        f"newsbeam: cannot read {tmp_path / 'missing.html'}: No such file or directory\n")
    assert main(["extract", "http://[::1/x"]) == 2
    assert capsys.readouterr().err == (
        "newsbeam: extract: 'http://[::1/x' is not an http or https URL\n")
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b"")))
    assert main(["extract", "-"]) == 4
    assert capsys.readouterr().err == "newsbeam: rejected: read: empty (no input)\n"


def test_extraction_runs_under_the_time_limit_by_default(tmp_path, capsys):
    """Without a config the run's default limit applies: extraction and normalization in
    a child process, each refusal still named by its stage."""
    assert main(["extract", str(SAMPLES[3])]) == 0
    assert json.loads(capsys.readouterr().out)["title"] == sample(3)[0]
    short = tmp_path / "short.txt"
    short.write_text("A headline\n\nThree words only.\n")
    assert main(["extract", str(short)]) == 4
    assert capsys.readouterr().err == (
        "newsbeam: rejected: normalize: too_short (3 words, fewer than 10)\n")
    (tmp_path / "empty.html").write_text("<html><body></body></html>")
    assert main(["extract", str(tmp_path / "empty.html")]) == 4
    assert capsys.readouterr().err.startswith("newsbeam: rejected: extract: ")
