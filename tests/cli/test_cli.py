import pathlib
import subprocess
import sys

import pytest

from newsbeam.cli import build_parser, main, unknown_beam_options
from newsbeam.cli.beam_options import beam_options_problem

ROOT = pathlib.Path(__file__).parents[2]


def test_help_explains_every_run_option(capsys):
    with pytest.raises(SystemExit) as done:
        main(["run", "--help"])
    assert done.value.code == 0
    text = capsys.readouterr().out
    for option in ("--config", "--output", "--verbose", "--runner", "--direct_running_mode",
                   "--direct_num_workers", "_runs/<run_id>.json", "Exit status"):
        assert option in text
    assert "run" in build_parser().format_help()


@pytest.mark.parametrize("argv, message", [
    (["run", "--config", "missing.yaml"], "config error: config file not found: missing.yaml"),
    (["run", "--config", str(ROOT / "configs" / "fixtures.yaml"), "--runer", "X"],
     "unknown option --runer"),
    (["run", "--config", str(ROOT / "configs" / "fixtures.yaml"), "--runner", "NoSuchRunner"],
     "unknown runner NoSuchRunner (Beam's runners: "),
    (["run", "--config", str(ROOT / "configs" / "fixtures.yaml"),
      "--runner", "no_such_module.NoSuchRunner"],
     "runner no_such_module.NoSuchRunner cannot be loaded here: No module named"),
    (["stream", "--config", str(ROOT / "configs" / "fixtures.yaml"), "--runer", "X"],
     "unknown option --runer"),
])
def test_bad_invocations_exit_2_with_one_line(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err


def test_console_script_bad_config_prints_no_traceback(tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text("output: o\nsources:\n  - {name: a, kind: files, path: 'none/*.txt'}\n")
    done = subprocess.run([sys.executable, "-m", "newsbeam", "run", "--config", str(config)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"newsbeam: config error: sources[0].path: '{tmp_path}/none/*.txt' matches no file"]


def test_beam_options_are_recognized():
    assert unknown_beam_options(["--runner", "FnApiRunner", "--direct_num_workers=2",
                                 "--direct_running_mode", "multi_processing"]) == []
    assert unknown_beam_options(["--direct_num_worker=2"]) == ["--direct_num_worker"]
    assert unknown_beam_options(["--pipeline_type_check"]) == []  # newsbeam's own


@pytest.mark.parametrize("options", [
    ["--runner", "FlinkRunner", "--flink_master", "127.0.0.1:8081", "--parallelism", "2"],
    ["--runner", "SparkRunner", "--spark_master_url", "spark://127.0.0.1:7077"],
    ["--runner", "PortableRunner", "--job_endpoint", "127.0.0.1:8099",
     "--environment_type", "EXTERNAL", "--environment_config", "127.0.0.1:50000"],
])
def test_the_named_runners_options_are_accepted(options):
    assert beam_options_problem(options) is None


def test_a_runner_module_declares_its_own_options(tmp_path, monkeypatch):
    """A runner's options exist only once its module is imported (DaskRunner's
    --dask_client_address): naming the runner makes them known."""
    (tmp_path / "my_runner.py").write_text(
        "from apache_beam.options.pipeline_options import PipelineOptions\n"
        "from apache_beam.runners.portability.fn_api_runner import FnApiRunner\n"
        "class MyOptions(PipelineOptions):\n"
        "    @classmethod\n"
        "    def _add_argparse_args(cls, parser):\n"
        "        parser.add_argument('--my_cluster_address')\n"
        "class MyRunner(FnApiRunner):\n"
        "    pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    options = ["--my_cluster_address", "127.0.0.1:1"]
    assert beam_options_problem(options) == "unknown option --my_cluster_address"
    assert beam_options_problem(["--runner", "my_runner.MyRunner", *options]) is None



class OptionsJobService:
    """A job service on loopback (gRPC) that declares one runner option, as Beam's Flink job
    server declares ``checkpointing_interval`` and the rest of Flink's own options."""

    def __init__(self, *names: str):
        from concurrent import futures

        import grpc
        from apache_beam.portability.api import beam_job_api_pb2, beam_job_api_pb2_grpc

        class Servicer(beam_job_api_pb2_grpc.JobServiceServicer):
            def DescribePipelineOptions(self, request, context):
                return beam_job_api_pb2.DescribePipelineOptionsResponse(options=[
                    beam_job_api_pb2.PipelineOptionDescriptor(
                        name=name, type=beam_job_api_pb2.PipelineOptionType.INTEGER)
                    for name in names])

        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
        beam_job_api_pb2_grpc.add_JobServiceServicer_to_server(Servicer(), self.server)
        self.endpoint = f"127.0.0.1:{self.server.add_insecure_port('127.0.0.1:0')}"

    def __enter__(self):
        self.server.start()
        return self

    def __exit__(self, *exc):
        self.server.stop(grace=0)


def test_options_the_job_service_declares_are_accepted_and_typos_still_refused(monkeypatch):
    """Flink's options exist only in the Java job server (e.g. --checkpointing_interval):
    the CLI asks the job service named by --job_endpoint which options its runner has."""
    import newsbeam.cli.beam_options as beam_options

    with OptionsJobService("checkpointing_interval") as service:
        portable = ["--runner", "PortableRunner", "--job_endpoint", service.endpoint]
        assert beam_options_problem([*portable, "--checkpointing_interval", "60000"]) is None
        assert beam_options_problem([*portable, "--checkpointing_intervall=1"]) \
            == "unknown option --checkpointing_intervall"
        assert beam_options_problem([*portable, "--streaming"]) is None  # Python's own
    monkeypatch.setattr(beam_options, "JOB_SERVICE_TIMEOUT", 1)
    assert beam_options_problem([*portable, "--checkpointing_interval", "60000"]) == (
        "unknown option --checkpointing_interval (not Python Beam's; the job service at "
        f"{service.endpoint} does not answer: FutureTimeoutError, so its runner's own "
        "options are not known)")
