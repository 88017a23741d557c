import subprocess
import sys

from newsbeam.cli.lean_import import S3_CLIENT, unused_by_run
from newsbeam.config import parse_config


def config(output: str, path: str = "/data/*.txt"):
    return parse_config({"output": output, "sources": [
        {"name": "a", "kind": "files", "path": path}]}, "/configs/run.yaml")


def test_a_run_with_only_local_paths_hides_the_s3_client_too():
    assert set(S3_CLIENT) <= set(unused_by_run(config("/out"), []))
    assert "pandas" in unused_by_run(config("/out"), [])


def test_any_s3_path_or_option_keeps_the_s3_client():
    assert not set(S3_CLIENT) & set(unused_by_run(config("s3://bucket/out"), []))
    assert not set(S3_CLIENT) & set(unused_by_run(config("/out", "s3://bucket/in/*.txt"), []))
    assert not set(S3_CLIENT) & set(unused_by_run(config("/out"), ["--s3_endpoint_url=x"]))


def test_hidden_modules_are_left_out_of_beam_and_import_normally_afterwards():
    # A fresh interpreter: this test process has imported Beam already.
    code = ("import sys\n"
            "from newsbeam.cli.lean_import import import_beam_without\n"
            "import_beam_without(('pandas', 'pymongo'))\n"
            "assert 'apache_beam' in sys.modules\n"
            "assert 'pandas' not in sys.modules and 'pymongo' not in sys.modules\n"
            "import pandas\n"
            "assert pandas.DataFrame({'a': [1]}).shape == (1, 1)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
