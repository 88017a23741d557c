"""What a run would read (``modes/plan.py``): the progress total is known only when every
source is local files, and asking never fails a run whatever its sources."""
from __future__ import annotations

from newsbeam.config import load_config
from newsbeam.modes.plan import plan, progress_total
from tests.helpers.runs import SAMPLES, write_config


def test_the_total_is_known_for_local_files_only(tmp_path, samples_dir):
    files = {"name": "local", "kind": "files", "path": str(samples_dir / "*.txt")}
    live = [{"name": "feed", "kind": "feed", "url": "https://example.com/feed.xml"},
            {"name": "urls", "kind": "urls", "urls": ["https://example.com/a"]},
            {"name": "map", "kind": "sitemap", "url": "https://example.com/sitemap.xml"}]
    assert progress_total(load_config(str(write_config(tmp_path, [files])))) == len(SAMPLES)
    for source in live:
        config = load_config(str(write_config(tmp_path, [files, source])))
        assert progress_total(config) is None
        assert [p.name for p in plan(config)] == ["local", source["name"]]
    remote = {"name": "remote", "kind": "files", "path": "s3://bucket/in/*.txt"}
    assert progress_total(load_config(str(write_config(tmp_path, [remote])))) is None
