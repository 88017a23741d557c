"""``newsbeam follow``: continuous local ingestion as repeated bounded runs.

Each poll is one ``modes.run.run_once`` over the same output, so polls share the batch
state (feed validators, seen URLs, the dedup index): a poll fetches only what is new. A
failing poll is logged and retried at the next interval; a poll that finds the output
locked (another run, a compaction) is skipped. A stop request (``stop`` set, e.g. by
SIGINT/SIGTERM) ends the loop after the current run has committed.

The process stays warm between polls: imports, the language model and the extraction
children (``time_limit.warm``) are paid by the first poll only, so a poll that finds
nothing new costs little more than building and running an empty graph.
"""
from __future__ import annotations

import logging
import threading
from typing import Callable

from newsbeam.config import Config
from newsbeam.core.time_limit import warm
from newsbeam.modes.run import run_once as batch_run
from newsbeam.store.lock import Locked

LOG = logging.getLogger("newsbeam.follow")


def follow(config: Config, beam_args: list[str], every_seconds: float,
           max_runs: int | None = None, stop: threading.Event | None = None,
           report: Callable[[str, dict | None, str | None], None] = lambda *_: None,
           run_once: Callable[..., dict] = batch_run) -> dict[str, int]:
    """Polls until ``stop`` is set or ``max_runs`` polls were made; returns how many polls
    succeeded, committed with some source failed entirely (``sources_failed``), were skipped
    (locked) or failed. ``report(outcome, manifest, error)`` is called after each poll."""
    stop = stop or threading.Event()
    with warm():  # leaving it stops the children kept between polls
        return _poll(config, beam_args, every_seconds, max_runs, stop, report, run_once)


def _poll(config, beam_args, every_seconds, max_runs, stop, report, run_once) -> dict[str, int]:
    outcomes = {"succeeded": 0, "sources_failed": 0, "skipped": 0, "failed": 0}
    polls = 0
    while not stop.is_set():
        try:
            manifest, error = run_once(config, list(beam_args)), None
            outcome = manifest["status"]  # succeeded, or sources_failed (a site is down)
        except Locked as err:
            manifest, outcome, error = None, "skipped", str(err)
        except Exception as err:  # a failed poll never ends the loop: the next one retries
            LOG.warning("poll failed: %s: %s", type(err).__name__, err, exc_info=True)
            manifest, outcome, error = None, "failed", f"{type(err).__name__}: {err}"
        outcomes[outcome] += 1
        polls += 1
        report(outcome, manifest, error)
        if max_runs is not None and polls >= max_runs:
            break
        stop.wait(every_seconds)
    return outcomes
