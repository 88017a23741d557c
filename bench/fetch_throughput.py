"""Fetch-stage throughput against a slow loopback server (a benchmark, not a test).

A server process answers on 127.0.0.1 .. 127.0.0.N (one "host" each) and waits
``--latency`` seconds before every response. The fetch transform alone (grouping by host,
thread pool, robots.txt, pacing, connection reuse; no extraction) runs in a Beam pipeline
over ``--pages`` URLs spread evenly over the hosts. Ideal throughput is
hosts x per-host concurrency / latency (20 x 4 / 0.1 s = 800 pages/s).

    python -m bench.fetch_throughput [--repeats 3] [--full]

``--full`` also times a whole ``newsbeam run`` (fetch + extract + normalize + dedup +
write) on the same URLs, to show where the time goes once extraction is on.
"""
from __future__ import annotations

import argparse
import logging
import multiprocessing
import pathlib
import statistics
import tempfile
import time

import apache_beam as beam
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[1]

from tests.helpers.loopback import LoopbackSites, Reply, loopback_hosts
from newsbeam.config import FetchSettings
from newsbeam.core.fetch.pages import PageInput, fetch_page
from newsbeam.beam.fetch import FetchByHost, settle

SAMPLE = sorted((ROOT / "tests" / "fixtures").glob("*.txt"))[0].read_text(encoding="utf-8")


def page(number: int) -> bytes:
    title, _, body = SAMPLE.strip().partition("\n")
    paragraphs = "".join(f"<p>{p}</p>" for p in body.split("\n") if p.strip())
    return (f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{title} #{number}"
            f"</title></head><body><nav><a href='/'>Home</a></nav><article><h1>{title} #{number}"
            f"</h1><p>Story number {number}.</p>{paragraphs}</article><footer>Example News"
            f"</footer></body></html>").encode()


def serve(hosts: list[str], latency: float, ready, stop) -> None:
    def route(request):
        if request.path == "/robots.txt":
            return Reply(404, delay=latency)
        number = int(request.path.rsplit("/", 1)[-1]) if request.path[-1].isdigit() else 0
        return Reply(body=page(number), headers={"Content-Type": "text/html; charset=utf-8"},
                     delay=latency)

    with LoopbackSites(hosts, route) as sites:
        ready.send(sites.port)
        mark = 0
        while (command := stop.recv()) != "stop":
            if command == "window":  # requests since the last call, first to last arrival
                window = sites.requests[mark:]
                mark = len(sites.requests)
                ready.send((len(window), window[-1].at - window[0].at if window else 0.0))
        ready.send(len(sites.requests))


def urls(hosts: list[str], port: int, pages: int) -> list[str]:
    return [f"http://{hosts[n % len(hosts)]}:{port}/news/{n}" for n in range(pages)]


def settings(per_host: int, hosts: int) -> FetchSettings:
    return FetchSettings(per_host_concurrency=per_host, per_host_delay_seconds=0,
                         global_concurrency=per_host * hosts, allowed_networks=["127.0.0.0/8"])


def time_fetch_stage(page_urls: list[str], fetch: FetchSettings) -> tuple[float, int]:
    """Seconds for a Beam pipeline that only fetches, and how many pages it fetched."""
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
    return time.perf_counter() - started, len(page_urls)


def time_full_run(page_urls: list[str], fetch: FetchSettings) -> tuple[float, dict]:
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
        return time.perf_counter() - started, {}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--hosts", type=int, default=20)
    parser.add_argument("--per-host", type=int, default=4)
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--full", action="store_true", help="also time a whole newsbeam run")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)

    hosts = loopback_hosts(args.hosts)
    ready, child_end = multiprocessing.Pipe()
    stop_parent, stop_child = multiprocessing.Pipe()
    server = multiprocessing.Process(target=serve, args=(hosts, args.latency, child_end, stop_child),
                                     daemon=True)
    server.start()  # its own process: the server does not compete for the client's GIL
    port = ready.recv()
    page_urls = urls(hosts, port, args.pages)
    fetch = settings(args.per_host, args.hosts)
    ideal = args.hosts * args.per_host / args.latency
    print(f"{args.pages} pages, {args.hosts} hosts, per-host concurrency {args.per_host}, "
          f"{args.latency * 1000:.0f} ms latency: ideal {ideal:.0f} pages/s")

    rates, window_rates = [], []
    for repeat in range(args.repeats):
        seconds, pages = time_fetch_stage(page_urls, fetch)
        stop_parent.send("window")
        requests, window = ready.recv()
        rates.append(pages / seconds)
        window_rates.append(requests / (window + args.latency))  # + the last one's wait
        print(f"  fetch stage, run {repeat + 1}: {seconds:.2f} s, {rates[-1]:.0f} pages/s "
              f"({rates[-1] / ideal:.0%} of ideal); {requests} requests in "
              f"{window + args.latency:.2f} s at the server, {window_rates[-1]:.0f}/s")
    median = statistics.median(rates)
    print(f"fetch stage median: {median:.0f} pages/s, {median / ideal:.0%} of ideal "
          f"(whole pipeline, start-up included); while requests flowed: "
          f"{statistics.median(window_rates):.0f} requests/s")
    if args.full:
        seconds, _ = time_full_run(page_urls, fetch)
        print(f"whole newsbeam run (fetch + extract + ... + write): {seconds:.1f} s, "
              f"{args.pages / seconds:.0f} pages/s")
    stop_parent.send("stop")
    print(f"server answered {ready.recv()} requests")
    server.join(timeout=5)


if __name__ == "__main__":
    main()
