"""Files sources are listed when the pipeline runs, through Beam's FileSystems."""
from newsbeam.transforms.sources import list_files
from newsbeam.config import FilesSource


def test_overlapping_globs_list_each_file_once_in_order(samples_dir):
    source = FilesSource("s", "files", [str(samples_dir / "*.txt"), str(samples_dir / "00*.txt")])
    listed = list(list_files(source))
    assert [item.uri for item in listed] == sorted(str(p) for p in samples_dir.glob("*.txt"))
    first = samples_dir / listed[0].uri.rsplit("/", 1)[1]
    assert listed[0].size == first.stat().st_size and listed[0].mtime == first.stat().st_mtime


def test_a_glob_that_matches_nothing_lists_nothing(tmp_path):
    assert list(list_files(FilesSource("s", "files", [str(tmp_path / "*.txt")]))) == []
