"""Near-duplicates end to end: syndicated copies of the samples fold, within and across runs."""
from __future__ import annotations

import html
import json
import pathlib
import random

import apache_beam as beam
from apache_beam.testing.util import assert_that, equal_to
from apache_beam.transforms.window import TimestampedValue

from tests.helpers.article_rows import article, sample
from tests.helpers.runs import RUNNER_ARGS, SAMPLES, read_dataset, write_config
from newsbeam.cli import main
from newsbeam.config import NearDedupConfig
from newsbeam.core.dedup.index import index_fields
from newsbeam.core.dedup.minhash import Permutations, sign_text
from newsbeam.transforms.dedup.near import KEPT_SIGNED, SIGN_BATCH, WAIT_PACK, NearDedup


def as_html(number: int, headline: str, site: str, published: str, edit: bool) -> str:
    """Sample ``number`` as a page of ``site``; ``edit`` rewrites one sentence."""
    paragraphs = [p for p in sample(number).split("\n\n") if p.strip()]
    if edit:
        paragraphs[2] = "An editor at the syndicating site rewrote this sentence entirely."
    body = "\n".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    return f"""<!doctype html><html lang="en"><head><title>{headline}</title>
<link rel="canonical" href="https://{site}/world/story-{number}">
<meta property="article:published_time" content="{published}"></head>
<body><nav><a href="/">Home</a> <a href="/world">{site} World</a></nav>
<article><h1>{headline}</h1>{body}</article>
<footer>Copyright {site}. Subscribe to our newsletter.</footer></body></html>"""


def syndicated_copy(number: int) -> str:
    return as_html(number, "Breaking: a new headline", "syndicator.example",
                   "2022-01-05T10:00:00Z", edit=True)


def run(tmp_path: pathlib.Path, folder: pathlib.Path, **extra) -> int:
    config = write_config(tmp_path, [{"name": "in", "kind": "files", "path": str(folder / "*")}],
                          **extra)
    return main(["run", "--config", str(config), "--output", str(tmp_path / "out"), *RUNNER_ARGS])


def sample_ids(output: pathlib.Path) -> dict[str, str]:
    return {pathlib.Path(a["input"]).name[:3]: a["article_id"]
            for a in read_dataset(output, "articles")}


def test_syndicated_copy_folds_into_the_original_and_samples_stay_apart(tmp_path, samples_dir):
    # The original as its publisher's dated page; the copy is later, on another site.
    (samples_dir / SAMPLES[0].name).unlink()
    (samples_dir / "000.html").write_text(as_html(0, "Turkish, US top diplomats talk",
                                                  "origin.example", "2022-01-03T08:00:00Z",
                                                  edit=False), encoding="utf-8")
    (samples_dir / "copy.html").write_text(syndicated_copy(0), encoding="utf-8")
    assert run(tmp_path, samples_dir) == 0
    output = tmp_path / "out"
    ids = sample_ids(output)
    assert sorted(ids) == ["000", "001", "002", "003", "004"]  # 000, 002, 004 stay apart
    (dup,) = read_dataset(output, "duplicates")
    assert dup["method"] == "near" and dup["duplicate_of"] == ids["000"]
    assert 0.8 <= dup["similarity"] < 1.0
    assert dup["input"].endswith("copy.html")
    original = next(a for a in read_dataset(output, "articles") if a["article_id"] == ids["000"])
    assert original["duplicate_count"] == 1 and original["duplicate_urls"] == [dup["input"]]


def test_second_run_folds_copies_of_first_run_articles(tmp_path, samples_dir):
    assert run(tmp_path, samples_dir) == 0
    output = tmp_path / "out"
    first = sample_ids(output)
    params = json.loads((output / "_state" / "dedup_index" / "params.json").read_text())
    assert params["num_perm"] == 112 and params["bands"] * params["rows"] <= 112

    later = tmp_path / "later"
    later.mkdir()
    (later / "copy.html").write_text(syndicated_copy(3), encoding="utf-8")
    # the same text with other spacing (other bytes): a content duplicate of the first run's
    (later / SAMPLES[1].name).write_bytes(SAMPLES[1].read_bytes() + b"\n\n")
    # the very same bytes under another name: read before, so skipped (not an input)
    (later / "again.txt").write_bytes(SAMPLES[2].read_bytes())
    assert run(tmp_path, later) == 0
    manifest = json.loads(max((output / "_runs").glob("*.json")).read_text())
    assert manifest["counts"]["inputs"] == 2
    assert manifest["metrics"]["sources:skipped_same_bytes"] == 1
    articles = read_dataset(output, "articles")
    assert len(articles) == 5  # nothing re-emitted, nothing new
    by_input = {pathlib.Path(d["input"]).name: d for d in read_dataset(output, "duplicates")}
    assert by_input["copy.html"]["method"] == "near"
    assert by_input["copy.html"]["duplicate_of"] == first["003"]
    assert by_input[SAMPLES[1].name]["method"] == "content"
    assert by_input[SAMPLES[1].name]["duplicate_of"] == first["001"]
    # The second run kept nothing new, so it added nothing to the index.
    assert len(list((output / "_state" / "dedup_index").glob("*.parquet"))) == 1


def test_index_built_with_other_parameters_is_refused(tmp_path, samples_dir, capsys):
    from newsbeam.schemas.tables import DEDUP_INDEX, STATE_TABLES
    from newsbeam.store import commit, layout
    from newsbeam.store.parquet import write_parquet
    from newsbeam.store.recover import recover
    from newsbeam.store.state import prepare_index

    output = str(tmp_path / "out")  # an output whose index was built with the defaults
    prepare_index(output, NearDedupConfig())
    staged, final = commit.staged_file(output, "r0", DEDUP_INDEX,
                                       layout.state_dir(output, DEDUP_INDEX))
    write_parquet(staged, STATE_TABLES[DEDUP_INDEX], [])
    commit.commit(output, "r0", "r0", [commit.StagedFile(DEDUP_INDEX, staged, final, 0)])
    recover(output)  # its manifest
    capsys.readouterr()  # recovery says what it did; the run's own words come next
    assert run(tmp_path, samples_dir, dedup={"near": {"num_perm": 128}}) == 2
    error = capsys.readouterr().err.strip()
    assert error.count("\n") == 0 and "num_perm=112" in error and "128" in error
    assert not (tmp_path / "out" / "articles").exists()  # refused before anything ran


def _copies() -> list[dict]:
    """Samples plus edited, truncated and re-dated copies: known clusters."""
    rows = [article(sample(i), f"s{i}", day=10 + i) for i in range(5)]
    for i in (0, 3):
        words = sample(i).split()
        rows.append(article(" ".join(words[: int(len(words) * 0.7)]), f"trunc{i}", day=2))
        edited = words[:40] + ["inserted", "words"] + words[40:]
        rows.append(article(" ".join(edited), f"edit{i}", day=None))
    return rows


def _fold(rows: list[dict], *options: str) -> None:
    """Run NearDedup on ``rows``; assert it folds exactly EXPECTED (copy, canonical)."""
    url_of = {r["article_id"]: r["url"] for r in rows}
    with beam.Pipeline(runner="FnApiRunner", argv=list(options)) as pipeline:
        out = (pipeline | beam.Create(rows), pipeline | "None" >> beam.Create([])) | NearDedup(
            NearDedupConfig())
        pairs = out["duplicates"] | beam.Map(lambda d: (d["url"], url_of[d["duplicate_of"]]))
        assert_that(pairs, equal_to(EXPECTED))


# The truncated copies are published first: they are the canonical articles.
EXPECTED = [(f"https://{kind}{i}.example/story", f"https://trunc{i}.example/story")
            for i in (0, 3) for kind in ("s", "edit")]


def test_clusters_and_canonicals_are_the_same_across_workers_and_input_order():
    rows = _copies()
    _fold(rows)
    shuffled = rows[:]
    random.Random(7).shuffle(shuffled)
    _fold(shuffled, "--direct_running_mode=multi_processing", "--direct_num_workers=2")


def test_rows_keep_their_timestamps_and_kept_rows_their_signatures():
    """More rows than a signing batch and a waiting pack (both flush mid-bundle and at its
    end): every row leaves in its own timestamp, and ``kept_signed`` holds exactly the kept
    rows, each with its index fields and its own signature (None for a short text)."""
    filler = [article(" ".join(f"w{i}x{j}" for j in range(60)), f"f{i}", day=3)
              for i in range(max(SIGN_BATCH, WAIT_PACK) * 2 + 7)]
    rows = _copies() + filler + [article("too short to sign", "short", day=4)]
    params = NearDedupConfig()
    perms = Permutations.create(params.num_perm, params.seed)
    folded = {copy for copy, _ in EXPECTED}
    kept = [r for r in rows if r["url"] not in folded]
    expected_signed = [(index_fields(r), sign_text(r["text"], params, perms)) for r in kept]
    assert expected_signed[-1][1] is None and len(kept) == len(rows) - len(folded)
    with beam.Pipeline(runner="FnApiRunner") as pipeline:
        stamped = (pipeline | beam.Create(list(enumerate(rows)))
                   | beam.MapTuple(lambda i, row: TimestampedValue(row, 1000 + i)))
        out = (stamped, pipeline | "None" >> beam.Create([])) | NearDedup(params)
        stamps = ((out["articles"], out["duplicates"]) | beam.Flatten()
                  | beam.Map(lambda row, t=beam.DoFn.TimestampParam: (row["url"], int(t))))
        assert_that(stamps, equal_to([(r["url"], 1000 + i) for i, r in enumerate(rows)]),
                    label="Stamps")
        signed = out[KEPT_SIGNED] | beam.MapTuple(
            lambda fields, s: (fields, None if s is None else (s.size, s.signature)))
        assert_that(signed, equal_to(expected_signed), label="KeptSigned")


def test_a_presigned_row_waits_without_its_signature():
    """A chunked run's pending row carries its signature (PRESIGNED): the row's pack must
    not hold it again, as the signature waits in the kept_waiting pack already."""
    import pickle

    import zstandard
    from apache_beam.transforms.window import GlobalWindow

    from newsbeam.core.dedup.minhash import PRESIGNED, Signed
    from newsbeam.core.dedup.rank import rank
    from newsbeam.transforms.dedup.near import KEPT_WAITING, _Compress

    params = NearDedupConfig()
    row = article(sample(0), "pre", day=3)
    signed = sign_text(row["text"], params, Permutations.create(params.num_perm, params.seed))
    row[PRESIGNED] = signed
    compress = _Compress()
    compress.setup()
    compress.start_bundle()
    assert list(compress.process((row, Signed(rank(None, row["article_id"]), *signed)), 5,
                                 GlobalWindow())) == []
    (rows_pack, kept_pack) = list(compress.finish_bundle())
    assert kept_pack.tag == KEPT_WAITING

    def unpacked(packed):
        return pickle.loads(zstandard.ZstdDecompressor().decompress(packed.value[1]))
    ((waiting_row, stamp),) = unpacked(rows_pack)
    assert stamp == 5 and PRESIGNED not in waiting_row and waiting_row["text"] == row["text"]
    assert signed[1] not in pickle.dumps(waiting_row)
    ((fields, own, _),) = unpacked(kept_pack.value)
    assert fields == index_fields(row) and own.signature == signed[1]
