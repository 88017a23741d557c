"""A config is checked against the world before a run: one ConfigError line per problem."""
import os
import pathlib
import shutil
import tempfile

import pytest

from newsbeam.config import ConfigError, parse_config
from newsbeam.pipelines.preflight import preflight
from newsbeam.store.fs import local_write_problem


def config(tmp_path, sources, output=None):
    raw = {"output": output or str(tmp_path / "out"), "sources": sources,
           "dedup": {"cross_run": False}}
    return parse_config(raw, str(tmp_path / "c.yaml"))


def problems(cfg) -> list[str]:
    with pytest.raises(ConfigError) as err:
        preflight(cfg)
    assert all("\n" not in line for line in err.value.problems)
    return err.value.problems


def problem(cfg) -> str:
    (line,) = problems(cfg)
    return line


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
    (b"\x00\x01\x02 valid UTF-8 but binary\x00", "is a binary file, not a text file of URLs"),
    (b"http://[::1\n", "sources[0].path: 'http://[::1' is not an http or https URL"),
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


def test_a_folder_given_as_url_list_is_a_problem_not_a_traceback(tmp_path):
    (tmp_path / "urls.txt").mkdir()
    assert "cannot read" in problem(config(tmp_path, [{"name": "u", "kind": "urls", "path": "urls.txt"}]))


def test_a_file_of_garbage_gives_a_few_lines_not_thousands(tmp_path):
    (tmp_path / "urls.txt").write_text("\n".join(f"word{i}" for i in range(1000)))
    lines = problems(config(tmp_path, [{"name": "u", "kind": "urls", "path": "urls.txt"}]))
    assert len(lines) == 6 and lines[-1] == "sources[0].path: ... and 995 more lines that are not URLs"


def outputs_that_cannot_be_written(tmp_path) -> dict[str, str]:
    (tmp_path / "a-file").write_text("x")
    return {
        str(tmp_path / "a-file"): "is a file, not a folder",
        "/dev/null": "is in /dev, a kernel interface, not a folder for data",
        str(tmp_path / "a-file" / "out"): f"is under {tmp_path / 'a-file'}, which is a file",
        "/proc/newsbeam-out": "is in /proc, a kernel interface",
        "/sys/newsbeam-out": "is in /sys, a kernel interface",
    }


def test_outputs_that_cannot_be_written_are_refused_before_the_run(tmp_path, samples_dir):
    source = [{"name": "s", "kind": "files", "path": str(samples_dir / "*.txt")}]
    before = sorted(p.name for p in tmp_path.iterdir())
    for output, message in outputs_that_cannot_be_written(tmp_path).items():
        line = problem(config(tmp_path, source, output=output))
        assert line.startswith(f"output: {output} ") and message in line, line
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*before, "a-file"])  # no trace


def write_problem_as_unprivileged_user(path: pathlib.Path) -> str | None:
    """``local_write_problem`` in a forked child that dropped root (root may write
    anywhere); the answer comes back through a pipe."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: answer, then leave without running pytest's exit code
        try:
            os.close(read_end)
            if os.geteuid() == 0:
                os.setgid(65534)
                os.setuid(65534)
            os.write(write_end, repr(local_write_problem(str(path))).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end) as answer:
        text = answer.read()
    os.waitpid(pid, 0)
    return eval(text)  # a str or None, written by our own child


def test_a_read_only_folder_is_refused_and_the_check_leaves_nothing():
    base = pathlib.Path(tempfile.mkdtemp(prefix="newsbeam-ro-"))  # not under /tmp/pytest-of-root
    try:
        base.chmod(0o755)
        folder = base / "ro"
        folder.mkdir(mode=0o555)
        folder.chmod(0o555)
        for path in (folder / "new" / "out", folder):
            assert write_problem_as_unprivileged_user(path) == \
                f"{path} cannot be written: Permission denied ({folder})"
        assert list(folder.iterdir()) == []
        writable = base / "rw"
        writable.mkdir()
        assert local_write_problem(str(writable / "new" / "out")) is None
        assert list(writable.iterdir()) == []
    finally:
        shutil.rmtree(base)


def test_every_problem_is_reported_at_once(tmp_path):
    (tmp_path / "a-file").write_text("x")
    lines = problems(config(tmp_path, [
        {"name": "s", "kind": "files", "path": "nothing-*.txt"},
        {"name": "u", "kind": "urls", "path": "missing.txt"}], output=str(tmp_path / "a-file")))
    assert lines == [f"output: {tmp_path / 'a-file'} is a file, not a folder",
                     f"sources[0].path: '{tmp_path}/nothing-*.txt' matches no file",
                     f"sources[1].path: no file {tmp_path}/missing.txt"]
