"""Stream pipelines under test: TestStream work on ``BundleBasedDirectRunner --streaming``,
article pages served on loopback, and what the stream committed, read back per window."""
from __future__ import annotations

import pathlib
from datetime import datetime, timezone

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions
from apache_beam.metrics.metric import MetricsFilter
from apache_beam.testing.test_stream import TestStream
from apache_beam.transforms.window import TimestampedValue

from newsbeam.config import parse_config
from newsbeam.core.fetch.work import WorkItem
from newsbeam.pipelines.runner import new_run
from newsbeam.pipelines.streaming import build_stream
from tests.helpers.loopback import Reply
from tests.helpers.news_sites import article_page
from tests.helpers.runs import read_manifests

RUNNER = "BundleBasedDirectRunner"  # real watermarks, timers and late panes; runs TestStream
T0 = 1_800_000_000  # event times of test items: seconds from here (2027-01-15T08:00:00Z)
WINDOW = 60


def streaming_options() -> PipelineOptions:
    options = PipelineOptions(["--runner", RUNNER, "--streaming"])
    assert options.view_as(StandardOptions).runner == RUNNER
    return options


def stream_config(tmp_path: pathlib.Path, **stream) -> object:
    raw = {"output": str(tmp_path / "out"),
           "sources": [{"name": "unused", "kind": "urls", "urls": ["http://127.0.0.1/"]}],
           "limits": {"extract_timeout_seconds": 0},
           "fetch": {"allow_private_networks": True, "respect_robots": False,
                     "per_host_delay_seconds": 0, "max_retries": 0},
           "stream": {"window": f"{WINDOW}s", "allowed_lateness": "60s", "dedup_ttl": "1h",
                      **stream}}
    return parse_config(raw, str(tmp_path / "config.yaml"))


def page_route(request) -> Reply:
    """``/a<N>``, ``/b<N>``...: the page of sample N (any prefix: copies at other URLs);
    ``/n<N>``: a near copy of it (a few words edited)."""
    name = request.path.rsplit("/", 1)[-1]
    if name[:1].isalpha() and name[1:].isdigit() and int(name[1:]) < 5:
        page = article_page(int(name[1:]), edited=name[0] == "n")
        return Reply(body=page, headers={"Content-Type": "text/html"})
    return Reply(status=404, body=b"gone")


class Events:
    """Builds a TestStream of WorkItems: ``at(seconds, url...)`` then ``watermark(seconds)``."""

    def __init__(self):
        self.stream = TestStream().advance_watermark_to(T0)

    def at(self, seconds: float, *urls: str, kind: str = "page") -> "Events":
        self.stream = self.stream.add_elements(
            [TimestampedValue(WorkItem("test", url, kind), T0 + seconds) for url in urls])
        return self

    def watermark(self, seconds: float) -> "Events":
        self.stream = self.stream.advance_watermark_to(T0 + seconds)
        return self


def run_stream(config, events: Events, end_seconds: float, check=None):
    """Runs the stream over ``events``, the watermark advanced to ``end_seconds`` (past every
    timer: apache/beam#18987) before infinity; ``check(manifests)`` may add assertions to
    the graph. Returns the pipeline result."""
    run = new_run()
    stream = events.watermark(end_seconds).stream.advance_watermark_to_infinity()
    pipeline = beam.Pipeline(options=streaming_options())
    manifests = build_stream(pipeline, config, run, work=pipeline | "Events" >> stream)
    if check:
        check(manifests)
    result = pipeline.run()
    result.wait_until_finish()
    return result


def counter(result, name: str) -> int:
    found = result.metrics().query(MetricsFilter().with_name(name))["counters"]
    return sum(c.attempted for c in found)


def window_manifests(output: pathlib.Path) -> list[dict]:
    return sorted(read_manifests(output, "*-w*.json"),
                  key=lambda m: (m["window_start"], m["pane_index"]))


def at_seconds(seconds: float) -> str:
    return datetime.fromtimestamp(T0 + seconds, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
