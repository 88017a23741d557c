"""``newsbeam stream`` and ``newsbeam follow`` refuse what they cannot run, before running."""
from newsbeam.cli import main
from newsbeam.cli.stream_commands import poll_line
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
