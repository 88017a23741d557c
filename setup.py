from setuptools import find_packages, setup

setup(
    name="newsbeam",
    version="0.1.0",
    description="News ingestion on Apache Beam: fetch, extract, deduplicate, normalize, Parquet.",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    license="Apache-2.0",
    python_requires=">=3.11",
    packages=find_packages(include=["newsbeam", "newsbeam.*"]),
    install_requires=[
        # The lowest allowed version of these two is the one CI tests (docs/development.md,
        # tests/test_dependency_floors.py): newsbeam's extraction leans on trafilatura 2.3.
        "apache-beam>=2.77.0,<2.78",
        "trafilatura>=2.3.1,<2.4",
        "feedparser>=6.0.11,<7",
        "pyarrow>=17,<26",           # Beam 2.77 caps pyarrow below 26
        "numpy>=1.26,<2.5",          # and numpy below 2.5
        "PyYAML>=6.0,<7",
        "py3langid>=0.3,<0.5",       # offline language detection
        "python-dateutil>=2.8,<3",
        "lxml_html_clean>=0.4,<1",   # jusText (via trafilatura) needs it; not always pulled in
        "courlan>=1.3,<2",           # URL normalization (also a trafilatura dependency)
        "urllib3>=2.0,<3",           # the fetcher's HTTP client
        "duckdb>=1.1,<3",            # newsbeam query / stats
        "protego>=0.3,<1",           # robots.txt as RFC 9309 reads it (wildcards, $, Allow)
        "warcio>=1.7.4,<2",          # WARC archives (kind: warc)
        "zstandard>=0.18,<1",        # near-dup rows wait for their clusters compressed
    ],
    extras_require={
        "test": ["pytest>=8,<10", "pytest-timeout>=2.3,<3",           # a hung test fails
                 "pandas>=2,<4", "polars>=1,<3",                        # readers the README shows
                 "pyspark>=3.5,<3.6",                                   # ...Spark too (Java 17)
                 "moto[server]>=5,<6", "boto3>=1.28",                   # S3 on loopback
                 "hypothesis>=6.100,<7",                                # fuzz harnesses
                 "google-cloud-pubsub>=2.1,<3"],                        # the stream's live test
        "s3": ["apache-beam[aws]>=2.77,<2.78"],   # outputs on s3://
        "bench": ["datasketch>=1.6,<2", "hypothesis>=6.100,<7", "fastwarc>=0.15,<3", "build>=1,<2"],
        # newsbeam stream from Pub/Sub: the client Beam's ReadFromPubSub uses
        "stream": ["google-cloud-pubsub>=2.1,<3"],
        # ...and on Dataflow: Beam's GCP I/O (GCS, the Dataflow runner)
        "gcp": ["apache-beam[gcp]>=2.77,<2.78"],
    },
    entry_points={"console_scripts": ["newsbeam=newsbeam.cli:main"]},
)
