"""Fuzz the parsers that read untrusted bytes, for a bounded time, and report what broke.

    python -m bench.fuzz --seconds 60            # every target, 60 s each
    python -m bench.fuzz --seconds 10 feeds jsonld

Each target (``bench/fuzz_targets.py``) gets hypothesis-generated inputs, mostly mutated
realistic seeds; anything but a normal return or a ``Rejected`` is a finding, printed
with a minimal example once hypothesis has shrunk it. Prints executions per target.
"""
from __future__ import annotations

import argparse
import time
import traceback

from hypothesis import HealthCheck, Phase, given, settings

from bench.fuzz_targets import TARGETS, run_target

_BATCH = 200  # examples per hypothesis run; runs repeat until the time is up


def fuzz(name: str, seconds: float) -> tuple[int, dict[str, tuple[bytes, str]]]:
    """(executions, findings: {exception at location: (example, traceback)})."""
    target, strategy = TARGETS[name]
    executions, findings = 0, {}

    @settings(max_examples=_BATCH, deadline=None, database=None, derandomize=False,
              suppress_health_check=list(HealthCheck), phases=[Phase.generate, Phase.shrink])
    @given(strategy)
    def probe(data: bytes) -> None:
        nonlocal executions
        executions += 1
        run_target(target, data)

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            probe()
        except Exception as err:  # hypothesis re-raises the shrunk failure(s)
            for found in getattr(err, "exceptions", None) or [err]:
                frame = traceback.extract_tb(found.__traceback__)[-1]
                key = (f"{type(found).__name__} at {frame.filename.rsplit('/', 1)[-1]}:"
                       f"{frame.lineno}")
                example = " ".join(getattr(found, "__notes__", []))[:600]
                findings.setdefault(key, (example, "".join(
                    traceback.format_exception(found, chain=False))[-1200:]))
    return executions, findings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=30, help="per target (default 30)")
    parser.add_argument("targets", nargs="*", choices=[[], *TARGETS], default=[],
                        help=f"some of: {', '.join(TARGETS)} (default: all)")
    args = parser.parse_args()
    names = args.targets or list(TARGETS)
    print(f"{'target':<10}{'executions':>12}{'per s':>9}{'findings':>10}")
    details = []
    for name in names:
        started = time.monotonic()
        executions, findings = fuzz(name, args.seconds)
        elapsed = time.monotonic() - started
        print(f"{name:<10}{executions:>12}{executions / elapsed:>9.0f}{len(findings):>10}",
              flush=True)
        details += [(name, key, found) for key, found in findings.items()]
    for name, key, (example, trace) in details:
        print(f"\n== {name}: {key}\n{example}\n{trace}")


if __name__ == "__main__":
    main()
