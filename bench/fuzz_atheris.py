"""Coverage-guided fuzzing of one target with atheris (libFuzzer), seeded with the
hypothesis targets' seeds (``pip install atheris`` first):

    python -m bench.fuzz_atheris feeds -max_total_time=60
    python -m bench.fuzz_atheris config -runs=100000 /tmp/config-corpus

Arguments after the target go to libFuzzer, which prints executions (``#N``) and stops at
the first crash with its input saved as ``crash-*``.
"""
from __future__ import annotations

import os
import sys
import tempfile

import atheris

with atheris.instrument_imports(include=["newsbeam", "feedparser", "yaml"]):
    from bench.fuzz_targets import SEEDS, TARGETS, run_target


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in TARGETS:
        sys.exit(f"usage: python -m bench.fuzz_atheris {{{','.join(TARGETS)}}} [libFuzzer args]")
    name, args = sys.argv[1], sys.argv[2:]
    target = TARGETS[name][0]
    if not any(not a.startswith("-") for a in args):  # no corpus given: start from the seeds
        corpus = tempfile.mkdtemp(prefix=f"newsbeam-fuzz-{name}-")
        for index, seed in enumerate(SEEDS[name]):
            with open(os.path.join(corpus, f"seed-{index}"), "wb") as handle:
                handle.write(seed)
        args.append(corpus)
    atheris.Setup([sys.argv[0], *args], lambda data: run_target(target, data))
    atheris.Fuzz()


if __name__ == "__main__":
    main()
