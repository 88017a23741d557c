"""The manifest fields (``schemas/manifest.py``): a manifest is built only when it follows
its kind, in the kind's field order, with its version. Manifests written by real runs are
checked where tests read them back (``tests/helpers/runs.py``: ``read_manifests``)."""
from __future__ import annotations

import pytest

from newsbeam.schemas.manifest import (KINDS, MANIFEST_VERSION, STREAM_WINDOW, ManifestError,
                                       kind_of, problems)

WINDOW = dict(run_id="r-w1-p0", stream_run_id="r", status="succeeded",
              window_start="2026-01-01T00:00:00Z", window_end="2026-01-01T00:05:00Z",
              pane_index=0, pane_timing="on_time", committed_at="2026-01-01T00:05:01Z",
              output="/out", counts={"inputs": 0}, balanced=True, window_counts={"inputs": 0},
              window_balanced=True, sources={}, failed_sources=[], files={})


def test_a_built_manifest_carries_its_version_and_kind_in_field_order():
    manifest = STREAM_WINDOW.build(**dict(reversed(WINDOW.items())))
    assert manifest["manifest_version"] == MANIFEST_VERSION
    assert manifest["kind"] == "stream_window" and kind_of(manifest) is STREAM_WINDOW
    assert list(manifest) == [f.name for f in STREAM_WINDOW.fields]
    assert problems(manifest) == []


@pytest.mark.parametrize("change, problem", [
    ({"pane_index": None}, "pane_index is a NoneType, not int"),
    ({"pane_index": "0"}, "pane_index is a str, not int"),
    ({"surprise": 1}, "unknown field surprise"),
])
def test_a_manifest_off_its_fields_is_refused(change, problem):
    with pytest.raises(ManifestError, match=problem):
        STREAM_WINDOW.build(**{**WINDOW, **change})


def test_a_missing_field_is_refused_and_an_unset_optional_one_left_out():
    with pytest.raises(ManifestError, match="missing field committed_at"):
        STREAM_WINDOW.build(**{k: v for k, v in WINDOW.items() if k != "committed_at"})
    stream = KINDS["stream"]
    values = {f.name: [] if list in f.types else {} if dict in f.types else True
              if bool in f.types else "x" for f in stream.fields if f.required}
    del values["manifest_version"], values["kind"]
    assert "error" not in stream.build(**values, error=None)
    assert stream.build(**values, error="boom")["error"] == "boom"


def test_a_manifest_read_back_names_its_problems():
    assert problems({"kind": "nightly"}) == ["unknown kind nightly"]
    assert "run: missing field reprocess" in problems({"run_id": "r", "status": "succeeded"})
