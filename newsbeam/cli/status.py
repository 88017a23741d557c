"""Exit statuses of ``newsbeam``: what a scheduler can act on."""
from __future__ import annotations

OK = 0               # status succeeded: every source delivered (rejects may exist)
RUN_FAILED = 1       # the run failed: nothing was committed; the manifest says why
USAGE = 2            # a bad config or command line: nothing ran
SOURCES_FAILED = 3   # status sources_failed: committed, but some source failed entirely
REJECTED = 4         # extract: the page could not become an article (reason printed)
COMMITTED_THEN_FAILED = 5  # the run committed its data, then a later step failed (e.g.
#                            its manifest: disk full); the next run's recovery finishes it
LOCKED = 75          # EX_TEMPFAIL: another run holds the output; nothing ran (store.lock)
# Stopped by a signal: 128 + its number, as shells report it (pipelines.interrupt).

RUN_HELP = """\
Exit status:
  0    the run finished; every source delivered (some inputs may still be rejects)
  3    the run finished and committed, but some source failed entirely: every input
       of it was rejected at discover or fetch (a dead host, an unreadable feed);
       status "sources_failed" (summary, manifest, runs view, stats), and the
       summary and the manifest's failed_sources name them
  1    the run failed: nothing was committed; _runs/<run_id>.json says why (also
       when the output is damaged: the line names the file; see 'newsbeam verify')
  5    the run committed its data, then a later step failed (e.g. writing its
       manifest on a full disk); the next run's recovery finishes it: do not rerun
       for its inputs, they are in
  2    bad config or command line: nothing ran (every problem is printed, one a line)
  75   another run holds the output: this one skipped, committed and changed nothing
  130  interrupted by SIGINT (Ctrl-C), 143 by SIGTERM: the run stops cleanly,
       commits nothing and writes a failed manifest with reason "interrupted\""""

EXTRACT_HELP = """\
Exit status: 0 the article was printed; 4 the page was rejected (one line names the
stage and reason, e.g. "fetch: private_address"); 2 bad command line; 1 an
unexpected error."""


def run_status(manifest: dict) -> int:
    """The exit status of a run that finished, from its manifest."""
    return SOURCES_FAILED if manifest.get("status") == "sources_failed" else OK
