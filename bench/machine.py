"""The machine a benchmark ran on, for BENCHMARKS.md (shared by the bench scripts)."""
from __future__ import annotations

import os
import platform
import resource
import sys


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _ram_gib() -> float | None:
    try:
        pages, size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError):
        return None
    return round(pages * size / 2**30, 1)


def machine_info() -> dict:
    import apache_beam
    import lxml.etree
    import trafilatura

    return {
        "nproc": os.cpu_count(), "cpu": _cpu_model(), "ram_gib": _ram_gib(),
        "python": sys.version.split()[0], "beam": apache_beam.__version__,
        "trafilatura": trafilatura.__version__,
        "lxml": ".".join(map(str, lxml.etree.LXML_VERSION)),
        "load_avg_1m": round(os.getloadavg()[0], 2),
    }


def describe(info: dict) -> str:
    return (f"{info['nproc']} cores, {info['cpu']}, {info['ram_gib']} GiB RAM; Python "
            f"{info['python']}, Beam {info['beam']}, trafilatura {info['trafilatura']}, "
            f"lxml {info['lxml']}; load {info['load_avg_1m']}")


def peak_rss_mb(who: int = resource.RUSAGE_SELF) -> float:
    return round(resource.getrusage(who).ru_maxrss / 1024, 1)  # Linux: KiB


def write_json(path, result: dict) -> None:
    """Save a benchmark's figures (and say where)."""
    import json
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2))
    print(f"wrote {path}")
