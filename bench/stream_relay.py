"""What the local stream's Pub/Sub relay (modes/pubsub_relay.py) costs: the latency and
burst rate of ``bench.stream_latency`` for this tree and a baseline tree without the relay,
alternating, in one invocation.

    python -m bench.stream_relay --baseline DIR [--rounds 2] [--paced 20] [--burst 40]

DIR: a checkout of newsbeam from before the relay (e.g. ``git archive REV | tar -x -C DIR``).
Each round runs one stream of each tree (near-dup off, distinct pages) against the same
emulator and loopback site; medians over rounds are printed with their ratios.
"""
from __future__ import annotations

import argparse
import os
import pathlib
import statistics
import sys
import tempfile

from bench.machine import describe, machine_info
from bench.stream_latency import HOST, FETCH, measure_stream, route
from tests.helpers.loopback import LoopbackSites
from tests.helpers.pubsub import missing_reason, running_emulator, topic_and_subscription


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--baseline", required=True, help="a newsbeam checkout without the relay")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--paced", type=int, default=20)
    parser.add_argument("--rate", type=float, default=2.0)
    parser.add_argument("--burst", type=int, default=40)
    parser.add_argument("--window", default="2s")
    parser.add_argument("--lateness", default="10m")
    args = parser.parse_args()
    args.prefix = "/distinct"
    if missing_reason():
        sys.exit(f"cannot run: {missing_reason()}")
    print(describe(machine_info()))
    trees = {"baseline": os.path.abspath(args.baseline), "relay": os.getcwd()}
    common = {"limits": {"extract_timeout_seconds": 0}, "fetch": FETCH,
              "dedup": {"near": {"enabled": False}}}
    results = {name: [] for name in trees}
    with running_emulator() as host, LoopbackSites([HOST], route) as site:
        for round_ in range(args.rounds):
            for name, tree in trees.items():
                env = {**os.environ, "PYTHONPATH": tree, "PUBSUB_EMULATOR_HOST": host}
                base = pathlib.Path(tempfile.mkdtemp(prefix=f"newsbeam-relay-{name}-"))
                publisher, topic, subscription = topic_and_subscription(host, f"{name}{round_}")
                stream = measure_stream(base, env, site, publisher, topic, subscription, args,
                                        common)
                results[name].append(stream)
                print(f"  round {round_ + 1} {name}: latency median "
                      f"{statistics.median(stream['latencies']):.2f} s, burst "
                      f"{stream['rate']:.2f} items/s, {stream['cpu_seconds']:.1f} CPU s "
                      f"(load {os.getloadavg()[0]:.1f})", flush=True)
    medians = {name: {"latency": statistics.median(statistics.median(s["latencies"])
                                                   for s in runs),
                      "rate": statistics.median(s["rate"] for s in runs),
                      "cpu": statistics.median(s["cpu_seconds"] for s in runs)}
               for name, runs in results.items()}
    for name, figures in medians.items():
        print(f"{name}: latency publish -> committed row {figures['latency']:.2f} s, burst "
              f"{figures['rate']:.2f} items/s, stream CPU {figures['cpu']:.1f} s "
              f"(medians of {args.rounds} rounds)")
    relay, baseline = medians["relay"], medians["baseline"]
    print(f"relay / baseline: latency x{relay['latency'] / baseline['latency']:.2f}, "
          f"burst items/s x{relay['rate'] / baseline['rate']:.2f}, "
          f"CPU x{relay['cpu'] / baseline['cpu']:.2f}")
    print(f"load average at the end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
