"""``newsbeam stream`` and ``newsbeam follow`` refuse what they cannot run, before running."""
from newsbeam.cli import main
from newsbeam.cli.stream_commands import poll_line, window_line
from tests.helpers.runs import write_config


def test_polling_stream_without_a_streaming_runner_is_a_config_error(tmp_path, capsys):
    config = write_config(tmp_path, [{"name": "u", "kind": "urls", "urls": ["https://e.com/a"]}])
    assert main(["stream", "--config", str(config)]) == 2
    assert "PeriodicImpulse" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_follow_checks_its_interval(tmp_path, capsys):
    config = write_config(tmp_path, [{"name": "u", "kind": "urls", "urls": ["https://e.com/a"]}])
    assert main(["follow", "--config", str(config), "--every", "often"]) == 2
    assert main(["follow", "--config", str(config), "--max-runs", "0"]) == 2
    assert "--every" in capsys.readouterr().err


def test_each_poll_prints_one_line():
    manifest = {"run_id": "r1", "status": "succeeded", "wall_seconds": 3.25,
                "counts": {"inputs": 3, "articles": 2, "duplicates": 0, "rejects": 1}}
    assert poll_line("succeeded", manifest, None) == (
        "newsbeam run r1: succeeded in 3.2 s: 3 inputs, 2 articles, 0 duplicates, 1 rejects")
    assert poll_line("skipped", None, "out is\nlocked") == \
        "newsbeam follow: poll skipped: out is locked"


def test_pubsub_setup_needs_a_subscription_in_the_config(tmp_path, capsys):
    config = tmp_path / "c.yaml"
    config.write_text(f"output: {tmp_path / 'out'}\nsources:\n"
                      f"  - {{name: a, kind: urls, urls: ['https://example.com/a']}}\n")
    assert main(["pubsub-setup", "--config", str(config)]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line == ("newsbeam: pubsub-setup: stream.subscription must be "
                    "projects/P/subscriptions/S in the config")


def test_a_window_whose_source_delivered_nothing_says_so_in_its_line():
    window = {"window_start": "2026-01-01T00:00:00Z", "window_end": "2026-01-01T00:01:00Z",
              "committed_at": "2026-01-01T00:01:02.5+00:00", "pane_index": 0,
              "pane_timing": "on_time", "counts": {"inputs": 2, "rejects": 2},
              "status": "sources_failed", "failed_sources": ["news"]}
    assert window_line(window) == (
        "newsbeam stream: window 00:00:00-00:01:00 pane 0 (on_time): 2 inputs, 0 articles, "
        "0 duplicates, 2 rejects; committed 2.5 s after the window's end; news delivered "
        "nothing (see the rejects)")
    assert "delivered" not in window_line({**window, "failed_sources": []})
