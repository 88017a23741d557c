"""Fetch-stage throughput against a slow loopback server (a benchmark, not a test).

A server process answers on 127.0.0.1 .. 127.0.0.N (one "host" each) and waits
``--latency`` seconds before every response. Each repeat times, against that one server:

- ``plain urllib3``: the ideal client, a urllib3 pool loop with the same concurrency (per
  host, ``--per-host`` threads share the host's URLs; no robots.txt, no limits): what the
  machine and the server can do;
- ``Fetcher, no Beam``: newsbeam's fetcher (robots.txt, address guard, hard deadline, size
  limits, pacing) on the same threads;
- ``fetch stage (Beam)``: the fetch transform alone in a Beam pipeline on the FnApiRunner
  (grouping by host, thread pool, no extraction), shaped like a run's: a small ``Create``
  whose URL list a ``FlatMap`` expands; fetched pages counted in a metric;
- ``same, no network``: that pipeline with a no-op instead of fetching: Beam's fixed cost;
- ``as before``: the pipeline earlier figures used (``Create`` of every ``PageInput``, which
  reshuffles, and ``assert_that``), for continuity.

Ideal throughput is hosts x per-host concurrency / latency (20 x 4 / 0.1 s = 800 pages/s).

    python -m bench.fetch_throughput [--repeats 5] [--full] [--json PATH] [--server-nagle]

``--full`` also times a whole ``newsbeam run`` (fetch + extract + normalize + dedup +
write) on the same URLs, to show where the time goes once extraction is on.
"""
from __future__ import annotations

import argparse
import collections
import logging
import multiprocessing
import os
import pathlib
import statistics
import tempfile
import threading
import time

import apache_beam as beam
from apache_beam.metrics import Metrics
import urllib3
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[1]

from bench.machine import describe, machine_info, write_json
from tests.helpers.loopback import LoopbackSites, Reply, loopback_hosts
from newsbeam.config import FetchSettings
from newsbeam.core.fetch.fetcher import Fetcher
from newsbeam.core.fetch.pages import PageInput, fetch_page
from newsbeam.transforms.fetch import FetchByHost, settle

SAMPLE = sorted((ROOT / "tests" / "fixtures").glob("*.txt"))[0].read_text(encoding="utf-8")


def page(number: int) -> bytes:
    title, _, body = SAMPLE.strip().partition("\n")
    paragraphs = "".join(f"<p>{p}</p>" for p in body.split("\n") if p.strip())
    return (f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{title} #{number}"
            f"</title></head><body><nav><a href='/'>Home</a></nav><article><h1>{title} #{number}"
            f"</h1><p>Story number {number}.</p>{paragraphs}</article><footer>Example News"
            f"</footer></body></html>").encode()


def _cpu_seconds() -> float:
    times = os.times()
    return times.user + times.system


def serve(hosts: list[str], latency: float, ready, stop, nagle: bool = False) -> None:
    if nagle:  # as the loopback server was before: each response waits ~40 ms more
        import tests.helpers.loopback
        tests.helpers.loopback._Handler.disable_nagle_algorithm = False

    def route(request):
        if request.path == "/robots.txt":
            return Reply(404, delay=latency)
        number = int(request.path.rsplit("/", 1)[-1]) if request.path[-1].isdigit() else 0
        return Reply(body=page(number), headers={"Content-Type": "text/html; charset=utf-8"},
                     delay=latency)

    with LoopbackSites(hosts, route) as sites:
        ready.send(sites.port)
        mark, cpu = 0, _cpu_seconds()
        while (command := stop.recv()) != "stop":
            if command == "window":  # since the last call: requests, first and last arrival
                window = sites.requests[mark:]  # (time.monotonic(): one clock for both
                mark, spent, cpu = len(sites.requests), _cpu_seconds() - cpu, _cpu_seconds()
                ready.send((len(window), window[0].at if window else None,  # processes)
                            window[-1].at if window else None, spent))
        ready.send(len(sites.requests))


def urls(hosts: list[str], port: int, pages: int) -> list[str]:
    return [f"http://{hosts[n % len(hosts)]}:{port}/news/{n}" for n in range(pages)]


def settings(per_host: int, hosts: int) -> FetchSettings:
    return FetchSettings(per_host_concurrency=per_host, per_host_delay_seconds=0,
                         global_concurrency=per_host * hosts, allowed_networks=["127.0.0.0/8"])


def _per_host_threads(page_urls: list[str], per_host: int, get) -> None:
    """``per_host`` threads a host take its URLs in turn and call ``get(url)`` on each."""
    queues: dict[str, collections.deque] = collections.defaultdict(collections.deque)
    for url in page_urls:
        queues[url.split("/")[2]].append(url)

    def drain(queue: collections.deque) -> None:
        while True:
            try:
                url = queue.popleft()
            except IndexError:
                return
            get(url)

    threads = [threading.Thread(target=drain, args=(queue,))
               for queue in queues.values() for _ in range(per_host)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def time_plain_urllib3(page_urls: list[str], fetch: FetchSettings) -> float:
    """The ideal client: one urllib3 pool per host, sized to the per-host concurrency."""
    pools = urllib3.PoolManager(num_pools=1000, maxsize=fetch.per_host_concurrency,
                                retries=False)

    def get(url: str) -> None:
        response = pools.request("GET", url)
        if response.status != 200 or not response.data:
            raise RuntimeError(f"{url}: HTTP {response.status}")

    started = time.perf_counter()
    _per_host_threads(page_urls, fetch.per_host_concurrency, get)
    seconds = time.perf_counter() - started
    pools.clear()
    return seconds


def time_fetcher(page_urls: list[str], fetch: FetchSettings) -> float:
    """newsbeam's fetcher on the same threads as the plain client, without Beam."""
    fetcher = Fetcher(fetch)
    started = time.perf_counter()
    _per_host_threads(page_urls, fetch.per_host_concurrency,
                      lambda url: fetch_page(fetcher, PageInput("bench", url)))
    seconds = time.perf_counter() - started
    fetcher.close()
    return seconds


def _no_fetch(fetcher: Fetcher, item: PageInput) -> PageInput:
    return item


def _count_fetched(outcome) -> None:
    settle(outcome)  # a refused page raises: the run fails, as a wrong count would
    Metrics.counter("bench", "fetched").inc()


def time_fetch_stage(page_urls: list[str], fetch: FetchSettings, fetching: bool = True) -> float:
    """Seconds for a Beam pipeline that only fetches (or, ``fetching=False``, does the same
    with a no-op in place of the fetch), start-up included."""
    from apache_beam.metrics.metric import MetricsFilter
    from apache_beam.options.pipeline_options import PipelineOptions

    started = time.perf_counter()
    pipeline = beam.Pipeline(options=PipelineOptions(["--runner", "FnApiRunner"]))
    _ = (pipeline
         | beam.Create([page_urls])  # as a run lists a urls source: one element, expanded
         | beam.FlatMap(lambda listed: [PageInput("bench", url) for url in listed])
         | FetchByHost(fetch, fetch_page if fetching else _no_fetch)
         | beam.Map(_count_fetched))
    result = pipeline.run()
    result.wait_until_finish()
    seconds = time.perf_counter() - started
    counters = result.metrics().query(MetricsFilter().with_name("fetched"))["counters"]
    if sum(counter.committed for counter in counters) != len(page_urls):
        raise RuntimeError(f"fetched {counters}, expected {len(page_urls)}")
    return seconds


def time_fetch_stage_as_before(page_urls: list[str], fetch: FetchSettings) -> float:
    """The pipeline of the earlier figures: ``Create`` of every input (pickled into the
    pipeline, then reshuffled) and ``assert_that`` on a global count."""
    from apache_beam.options.pipeline_options import PipelineOptions
    from apache_beam.testing.util import assert_that, equal_to

    started = time.perf_counter()
    with beam.Pipeline(options=PipelineOptions(["--runner", "FnApiRunner"])) as pipeline:
        fetched = (pipeline
                   | beam.Create([PageInput("bench", url) for url in page_urls])
                   | FetchByHost(fetch, fetch_page)
                   | beam.Map(lambda outcome: settle(outcome) and 1)
                   | beam.CombineGlobally(sum))
        assert_that(fetched, equal_to([len(page_urls)]))
    return time.perf_counter() - started


def time_full_run(page_urls: list[str], fetch: FetchSettings) -> float:
    from newsbeam.cli import main

    with tempfile.TemporaryDirectory() as folder:
        listing = pathlib.Path(folder) / "urls.txt"
        listing.write_text("\n".join(page_urls))
        config = pathlib.Path(folder) / "config.yaml"
        config.write_text(yaml.safe_dump({
            "output": str(pathlib.Path(folder) / "out"),
            "sources": [{"name": "bench", "kind": "urls", "path": str(listing)}],
            "fetch": {k: v for k, v in vars(fetch).items() if k != "user_agent"}}))
        started = time.perf_counter()
        main(["run", "--config", str(config), "--runner", "FnApiRunner"])
        return time.perf_counter() - started


MEASURES = {  # name -> (timer, fetches?)
    "plain urllib3 (ideal client)": (time_plain_urllib3, True),
    "Fetcher, no Beam": (time_fetcher, True),
    "fetch stage (Beam)": (time_fetch_stage, True),
    "same pipeline, no network": (lambda u, f: time_fetch_stage(u, f, fetching=False), False),
    "as before (Create+assert_that)": (time_fetch_stage_as_before, True),
}
IDEAL, HEADLINE = "plain urllib3 (ideal client)", "fetch stage (Beam)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--hosts", type=int, default=20)
    parser.add_argument("--per-host", type=int, default=4)
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--full", action="store_true", help="also time a whole newsbeam run")
    parser.add_argument("--server-nagle", action="store_true",
                        help="server without TCP_NODELAY, as before (~40 ms more a response)")
    parser.add_argument("--json", type=pathlib.Path, help="also write the figures here")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)

    hosts = loopback_hosts(args.hosts)
    ready, child_end = multiprocessing.Pipe()
    stop_parent, stop_child = multiprocessing.Pipe()
    server = multiprocessing.Process(target=serve, args=(hosts, args.latency, child_end, stop_child,
                                                         args.server_nagle),
                                     daemon=True)
    server.start()  # its own process: the server does not compete for the client's GIL
    port = ready.recv()
    page_urls = urls(hosts, port, args.pages)
    fetch = settings(args.per_host, args.hosts)
    ideal = args.hosts * args.per_host / args.latency
    info = machine_info()
    print(f"{args.pages} pages, {args.hosts} hosts, per-host concurrency {args.per_host}, "
          f"{args.latency * 1000:.0f} ms latency: ideal {ideal:.0f} pages/s\n{describe(info)}")

    def window() -> tuple[int, float | None, float | None, float]:
        stop_parent.send("window")
        return ready.recv()

    time_fetch_stage(page_urls[:args.hosts], fetch)  # warm-up: imports, first pipeline
    window()
    runs: dict[str, list[dict]] = {name: [] for name in MEASURES}
    for repeat in range(args.repeats):
        print(f"run {repeat + 1}:")
        for name, (timer, fetches) in MEASURES.items():
            cpu, started = _cpu_seconds(), time.monotonic()
            seconds = timer(page_urls, fetch)
            cpu, ended = _cpu_seconds() - cpu, time.monotonic()
            requests, first, last, server_cpu = window()
            run = {"seconds": seconds, "pages_per_s": args.pages / seconds, "cpu_s": cpu,
                   "server_cpu_s": server_cpu, "requests": requests, "flow_per_s": None}
            flow = ""
            if requests:  # + the last one's wait; what came before the first and after
                span = last - first + args.latency
                run.update(flow_per_s=requests / span, before_first_s=first - started,
                           after_last_s=ended - last - args.latency)
                flow = (f"; {requests} requests in {span:.2f} s at the server, "
                        f"{run['flow_per_s']:.0f}/s, {run['before_first_s']:.2f} s before "
                        f"the first, {run['after_last_s']:.2f} s after the last answer")
            runs[name].append(run)
            print(f"  {name:32s} {seconds:5.2f} s {run['pages_per_s']:4.0f} pages/s, "
                  f"CPU {cpu:.2f} s client + {server_cpu:.2f} s server{flow}", flush=True)

    summary = {}
    print(f"\nmedians of {args.repeats} (ratio: to the plain urllib3 client of the same repeat)")
    for name, measured in runs.items():
        ratios = [run["pages_per_s"] / ideal_run["pages_per_s"]
                  for run, ideal_run in zip(measured, runs[IDEAL])]
        flows = [run["flow_per_s"] for run in measured if run["flow_per_s"]]
        summary[name] = {
            "pages_per_s": statistics.median(run["pages_per_s"] for run in measured),
            "seconds": statistics.median(run["seconds"] for run in measured),
            "cpu_s": statistics.median(run["cpu_s"] for run in measured),
            "server_cpu_s": statistics.median(run["server_cpu_s"] for run in measured),
            "vs_plain_urllib3": statistics.median(ratios),
            "flow_per_s": statistics.median(flows) if flows else None,
            "runs": measured}
        row = summary[name]
        flow = ""
        if flows:
            row["before_first_s"] = statistics.median(run["before_first_s"] for run in measured)
            row["after_last_s"] = statistics.median(run["after_last_s"] for run in measured)
            flow = (f", {row['flow_per_s']:.0f} req/s while requests flowed, "
                    f"{row['before_first_s']:.2f} s + {row['after_last_s']:.2f} s around them")
        print(f"  {name:32s} {row['pages_per_s']:4.0f} pages/s ({row['seconds']:.2f} s, "
              f"CPU {row['cpu_s']:.2f} s), {row['pages_per_s'] / ideal:.0%} of {ideal:.0f}, "
              f"{row['vs_plain_urllib3']:.2f}x plain urllib3{flow}")
    print(f"load average (1, 5, 15 min) at the end: {os.getloadavg()}")

    if args.full:
        seconds = time_full_run(page_urls, fetch)
        summary["full_run"] = {"seconds": seconds, "pages_per_s": args.pages / seconds}
        print(f"whole newsbeam run (fetch + extract + ... + write): {seconds:.1f} s, "
              f"{args.pages / seconds:.0f} pages/s")
    stop_parent.send("stop")
    print(f"server answered {ready.recv()} requests")
    server.join(timeout=5)
    if args.json:
        write_json(args.json, {"args": vars(args) | {"json": str(args.json)}, "machine": info,
                               "ideal_pages_per_s": ideal, "measures": summary,
                               "load_avg_end": os.getloadavg()})


if __name__ == "__main__":
    main()
