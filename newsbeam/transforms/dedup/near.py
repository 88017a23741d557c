"""Near-duplicates in Beam: signatures -> LSH buckets -> verified pairs -> clusters -> folds.

The pure steps live in ``core/dedup/minhash.py``; this module only wires them with
GroupByKey and CoGroupByKey. Method and parameters: docs/near-duplicates.md.
"""
from __future__ import annotations

import pickle
from typing import Any, Callable, Iterable, Iterator

import apache_beam as beam
import numpy as np
import zstandard
from apache_beam.metrics import Metrics
from apache_beam.utils.windowed_value import WindowedValue

from newsbeam.transforms.dedup.components import ConnectedComponents
from newsbeam.transforms.dedup.pending import PendingTexts
from newsbeam.transforms.stage import emit_in
from newsbeam.config import NearDedupConfig
from newsbeam.core.dedup.minhash import (
    PRESIGNED, Permutations, Signed, band_hashes, bucket_members, bucket_pairs, lsh_bands,
    exact_similarity, near_duplicate_row, rank_partition, row_signatures, score, shingle_set,
    worth_exact_check)
from newsbeam.core.dedup.index import index_fields
from newsbeam.core.dedup.rank import article_id_of, is_earlier_run, rank


WITH_ROW = "with_row"


# Texts a _Sign signs as one matrix (``sign_texts``): 45 -> 14 us a signature.
SIGN_BATCH = 64


class _Sign(beam.DoFn):
    """Article row -> Signed, and to ``with_row`` (row, Signed or None): texts under
    ``min_words`` are only counted (they stay kept). Rows are signed ``SIGN_BATCH`` at a
    time, each output keeping its row's window and timestamp."""

    def __init__(self, params: NearDedupConfig):
        self.params = params
        self.short = Metrics.counter("neardup", "short_texts_skipped")
        self.signed = Metrics.counter("neardup", "signed")

    def setup(self):
        self.perms = Permutations.create(self.params.num_perm, self.params.seed)

    def start_bundle(self):
        self.batch: list[tuple] = []  # (row, timestamp, window)

    def process(self, row: dict, timestamp=beam.DoFn.TimestampParam,
                window=beam.DoFn.WindowParam) -> Iterator:
        self.batch.append((row, timestamp, window))
        if len(self.batch) >= SIGN_BATCH:
            yield from self._flush()

    def finish_bundle(self) -> Iterator:
        yield from self._flush()

    def _flush(self) -> Iterator:
        batch, self.batch = self.batch, []
        rows = [row for row, _, _ in batch]
        for (row, timestamp, window), signed in zip(
                batch, row_signatures(rows, self.params, self.perms)):
            if signed is None:
                self.short.inc()
            else:
                self.signed.inc()
                signed = Signed(rank(row["published_at"], row["article_id"]), *signed)
                yield WindowedValue(signed, timestamp, [window])
            yield beam.pvalue.TaggedOutput(WITH_ROW, WindowedValue((row, signed), timestamp,
                                                                   [window]))


# Rows a waiting pack holds: zstd sees their shared words (1.54 -> 1.14 KB a 500-word
# bench row with its signature), and the stages that read them see 64x fewer elements.
WAIT_PACK = 64
KEPT_WAITING = "kept_waiting"


class _Compress(beam.DoFn):
    """(row, Signed or None) -> packs of ``WAIT_PACK`` rows, (article ids, pickled [(row,
    timestamp), ...], zstd level 1), and to ``kept_waiting`` packs of their index fields
    with their Signed (for ``kept_signed``). Every row of the run waits for the clusters,
    and the in-process runner holds two to four copies of a stage's input while it hands it
    over (at 100k documents the rows took the peak from ~1.0 to 1.7 GB); the signatures
    (incompressible, 40% of a packed row) wait apart, so each hand-over is smaller. Fused
    with the signing, so the pair itself is never encoded. The ids say, without
    decompressing, whether a pack holds a wanted row."""

    def setup(self):
        self.compressor = zstandard.ZstdCompressor(level=1)

    def start_bundle(self):
        self.packs: dict = {}  # window -> [(row, Signed, timestamp)]

    def process(self, row_signed: tuple, timestamp=beam.DoFn.TimestampParam,
                window=beam.DoFn.WindowParam) -> Iterator:
        pack = self.packs.setdefault(window, [])
        pack.append((*row_signed, timestamp))
        if len(pack) >= WAIT_PACK:
            yield from self._packed(self.packs.pop(window))

    def finish_bundle(self) -> Iterator:
        for window, pack in self.packs.items():
            yield from self._packed(pack, lambda value, window=window: emit_in(window, value))

    def _packed(self, pack: list, emit=lambda value: value) -> Iterator:
        ids = tuple(row["article_id"] for row, _, _ in pack)
        yield emit((ids, self._blob([(_unsigned(row), timestamp) for row, _, timestamp in pack])))
        yield beam.pvalue.TaggedOutput(KEPT_WAITING, emit((ids, self._blob(
            [(index_fields(row), own, timestamp) for row, own, timestamp in pack]))))

    def _blob(self, entries: list) -> bytes:
        return self.compressor.compress(pickle.dumps(entries, protocol=pickle.HIGHEST_PROTOCOL))


PARTITIONS = 256         # each shuffle of the stage moves this many groups...
FLUSH_ENTRIES = 50_000   # ...each a bundle's list of up to about this many entries
FLUSH_DOCUMENTS = 50_000  # band hashes: a bundle's blobs hold up to this many documents


class _Pack(beam.DoFn):
    """element -> (partition, pickled [entry, ...]): a bundle's entries packed by
    partition, so a shuffle moves a few blobs instead of an element per entry (per-element
    cost dominated the stage: 22 band keys a document). ``entries(element)`` gives
    (partition, entry).

    Pickled here, once, because the in-process runner's GroupByKey decodes every value it
    buffers: 2.2 million (band hash, rank) tuples held as Python objects were most of the
    stage's peak memory at 100k documents, and their decode and re-encode a third of its
    time. A blob stays one bytes object until the consumer unpickles its partition.
    """

    def __init__(self, entries: Callable[[Any], Iterable[tuple[int, Any]]]):
        self.entries = entries

    def start_bundle(self):
        self.packed: dict[tuple, list] = {}  # (window, partition) -> entries
        self.count = 0

    def process(self, element, window=beam.DoFn.WindowParam) -> Iterator[tuple]:
        for partition, entry in self.entries(element):
            self.packed.setdefault((window, partition), []).append(entry)
            self.count += 1
        if self.count >= FLUSH_ENTRIES:  # bounded memory for large bundles
            for (_, partition), entries in self._take(lambda w: w == window):
                yield partition, _packed(entries)

    def finish_bundle(self) -> Iterator:
        for (window, partition), entries in self._take(lambda w: True):
            yield emit_in(window, (partition, _packed(entries)))

    def _take(self, in_window) -> list[tuple]:
        taken = [item for item in self.packed.items() if in_window(item[0][0])]
        for key, _ in taken:
            del self.packed[key]
        self.count = sum(map(len, self.packed.values()))
        return taken


def _packed(entries) -> bytes:
    """Entries as one blob, zstd level 1: at a few hundred MB/s on blobs this size it
    costs little, and the runner holds ~3 copies of a shuffle while it hands it over."""
    return zstandard.compress(pickle.dumps(entries, protocol=pickle.HIGHEST_PROTOCOL), 1)


def _unpacked_blob(blob: bytes):
    return pickle.loads(zstandard.decompress(blob))


def _unpacked(grouped: Iterable[bytes]) -> Iterator:
    """The entries of a partition's packed blobs."""
    return (entry for packed in grouped for entry in _unpacked_blob(packed))


class _PackBands(beam.DoFn):
    """Signed -> (partition, pickled (band hashes, their ranks)): a bundle's band hashes
    gathered in numpy and split by partition at once, with no Python work per band."""

    def __init__(self, bands: int, rows: int):
        self.bands, self.rows = bands, rows

    def start_bundle(self):
        self.pending: dict = {}  # window -> ([band hashes of a document], [its rank])

    def process(self, signed: Signed, window=beam.DoFn.WindowParam) -> Iterator[tuple]:
        hashes, ranks = self.pending.setdefault(window, ([], []))
        hashes.append(band_hashes(signed.values, self.bands, self.rows))
        ranks.append(signed.rank)
        # Bounded memory for large bundles; blobs stay large (~200 KB a partition) so that
        # malloc maps them apart and returns their memory once they are consumed.
        if len(ranks) >= FLUSH_DOCUMENTS:
            yield from self._blobs(window)

    def finish_bundle(self) -> Iterator:
        for window in list(self.pending):
            for blob in self._blobs(window):
                yield emit_in(window, blob)

    def _blobs(self, window) -> Iterator[tuple]:
        hashes, ranks = self.pending.pop(window)
        flat = np.concatenate(hashes)  # document-major: entry i is ranks[i // bands]'s
        parts = flat % np.uint64(PARTITIONS)  # key_partition, for every entry at once
        order = np.argsort(parts, kind="stable")
        bounds = np.searchsorted(parts[order], np.arange(PARTITIONS + 1)).tolist()
        for partition in range(PARTITIONS):
            taken = order[bounds[partition]:bounds[partition + 1]]
            if len(taken):
                yield partition, _packed((flat[taken], [ranks[i] for i in
                                                        (taken // self.bands).tolist()]))


def _band_members(blobs: Iterable[bytes]) -> Iterator[list[tuple]]:
    """A partition's packed band hashes -> the members of each of its shared buckets."""
    keys, ranks = [], []
    for blob in blobs:
        blob_keys, blob_ranks = _unpacked_blob(blob)
        keys.append(blob_keys)
        ranks.extend(blob_ranks)
    return bucket_members(np.concatenate(keys), ranks)


def _signed_entry(signed: Signed) -> Iterator[tuple]:
    """Signed -> (its rank's partition, its fields): what the pairs' join looks up."""
    yield rank_partition(signed.rank, PARTITIONS), (signed.rank, signed.size, signed.signature)


def _pair_entries(pair: tuple) -> Iterator[tuple]:
    """A candidate pair, to the partition of each member: (pair, which member)."""
    for end in (0, 1):
        yield rank_partition(pair[end], PARTITIONS), (pair, end)


def _pair_member_entry(pair_member: tuple) -> Iterator[tuple]:
    """(pair, a member's Signed) -> the partition of the pair, where its two members meet."""
    yield rank_partition(pair_member[0][0], PARTITIONS), pair_member


class _BucketPairs(beam.DoFn):
    """One partition of band hashes -> candidate pairs of its buckets (smaller rank first),
    each once however many of the partition's buckets hold it."""

    def __init__(self, params: NearDedupConfig):
        self.params = params
        self.candidates = Metrics.counter("neardup", "candidate_pairs")
        self.oversized = Metrics.counter("neardup", "oversized_buckets")

    def process(self, keyed: tuple) -> Iterator[tuple]:
        pairs = set()
        for members in _band_members(keyed[1]):
            if len(members) > self.params.max_bucket_size:
                self.oversized.inc()
            found = list(bucket_pairs(members, self.params.max_bucket_size,
                                      self.params.bucket_neighbours))
            self.candidates.inc(len(found))
            pairs.update(found)
        yield from sorted(pairs)


def _members_to_pairs(keyed: tuple) -> Iterator[tuple]:
    """A partition's Signed and the pair members that fall in it -> (pair, member Signed),
    once per pair and member (a pair found in several buckets is verified once)."""
    _, grouped = keyed
    signed = {fields[0]: fields for fields in _unpacked(grouped["signed"])}
    for pair, end in sorted(set(_unpacked(grouped["pairs"]))):
        fields = signed.get(pair[end])
        if fields is not None:
            yield pair, Signed(*fields)


CLUSTERED = "clustered"
UNCERTAIN = "uncertain"


class _Verify(beam.DoFn):
    """One partition of (pair, member Signed) -> verified edges (first, second), and to
    ``clustered`` (rank, Signed) of both members, for the join of clusters with their
    canonical. A pair rejected near a threshold goes to ``uncertain`` (its two Signed)
    for the exact check."""

    def __init__(self, params: NearDedupConfig):
        self.params = params
        self.verified = Metrics.counter("neardup", "verified_pairs")
        self.rejected = Metrics.counter("neardup", "rejected_pairs")

    def process(self, keyed: tuple) -> Iterator:
        members: dict[tuple, dict] = {}
        for pair, signed in _unpacked(keyed[1]):
            members.setdefault(pair, {})[signed.rank] = signed
        for (first_rank, second_rank), by_rank in sorted(members.items()):
            first, second = by_rank[first_rank], by_rank[second_rank]
            if score(first, second, self.params) is not None:
                self.verified.inc()
                yield from _edge(first, second)
            elif worth_exact_check(first, second, self.params):
                yield beam.pvalue.TaggedOutput(UNCERTAIN, (first, second))
            else:
                self.rejected.inc()


def _edge(first: Signed, second: Signed) -> Iterator:
    """A verified edge, and its members' Signed to ``clustered``."""
    yield first.rank, second.rank
    for signed in (first, second):
        yield beam.pvalue.TaggedOutput(CLUSTERED, (signed.rank, signed))


class _ShingleWanted(beam.DoFn):
    """A waiting pack (``_Compress``) -> (article id, its exact shingle set) for the
    members of uncertain pairs (``wanted``, a side input: they are few)."""

    def __init__(self, params: NearDedupConfig):
        self.params = params

    def setup(self):
        self.decompressor = zstandard.ZstdDecompressor()
        self.texts = PendingTexts()

    def process(self, waiting: tuple, wanted: dict) -> Iterator[tuple]:
        article_ids, blob = waiting
        if any(article_id in wanted for article_id in article_ids):
            for row, _ in pickle.loads(self.decompressor.decompress(blob)):
                if row["article_id"] in wanted:
                    yield row["article_id"], shingle_set(self.texts.text(row), self.params)


class _ExactCheck(beam.DoFn):
    """An uncertain pair -> an edge (as ``_Verify``'s) if its exact shingle sets clear a
    threshold. A member without a text here (an earlier run's article: the index keeps
    only its signature) leaves the estimate's verdict."""

    def __init__(self, params: NearDedupConfig):
        self.params = params
        self.checked = Metrics.counter("neardup", "exact_checked_pairs")
        self.verified = Metrics.counter("neardup", "exact_verified_pairs")
        self.rejected = Metrics.counter("neardup", "rejected_pairs")

    def process(self, pair: tuple, sets: dict) -> Iterator:
        first, second = pair
        a, b = sets.get(first.article_id), sets.get(second.article_id)
        if a is not None and b is not None:
            self.checked.inc()
            if exact_similarity(a, b, self.params) is not None:
                self.verified.inc()
                yield from _edge(first, second)
                return
        self.rejected.inc()


def _members_by_root(labelled: tuple) -> Iterator[tuple]:
    node, root = labelled
    if node != root and not is_earlier_run(node):  # an earlier run's article stays
        yield root, node


def _root_per_member(keyed: tuple) -> Iterator[tuple]:
    """Cluster members grouped with their canonical's Signed (once per edge it is in)
    -> (member id, canonical)."""
    _, grouped = keyed
    for root in grouped["signed"][:1]:
        for member in grouped["members"]:
            yield article_id_of(member), root


KEPT_SIGNED = "kept_signed"


class _Fold(beam.DoFn):
    """A waiting pack -> each row's article (kept) or ``near`` duplicate row of its
    canonical, in the row's own timestamp, looked up in ``roots`` ({member article id:
    canonical's Signed}) with the member's own Signed from ``clustered`` ({article id:
    Signed} of every member of a verified edge): side inputs, as folded copies are few, so
    the rows themselves are never shuffled."""

    def __init__(self, params: NearDedupConfig):
        self.params = params
        self.folded = Metrics.counter("neardup", "near_duplicates")

    def setup(self):
        self.decompressor = zstandard.ZstdDecompressor()

    def process(self, waiting: tuple, roots: dict, clustered: dict,
                window=beam.DoFn.WindowParam) -> Iterator:
        for row, timestamp in pickle.loads(self.decompressor.decompress(waiting[1])):
            article_id = row["article_id"]
            root = roots.get(article_id)
            if root is None:
                yield WindowedValue(row, timestamp, [window])
            else:
                self.folded.inc()
                yield beam.pvalue.TaggedOutput("duplicates", WindowedValue(near_duplicate_row(
                    row, clustered[article_id], root, self.params), timestamp, [window]))


def _unsigned(row: dict) -> dict:
    """``row`` without the signature a chunked run's pending row carries (``PRESIGNED``):
    it waits apart, and would wait twice (+117 MB at the peak settling 50k rows)."""
    if PRESIGNED not in row:
        return row
    return {name: value for name, value in row.items() if name != PRESIGNED}


class _KeptSigned(beam.DoFn):
    """A ``kept_waiting`` pack -> (index fields, Signed or None) of each row not folded
    (``roots``, as ``_Fold``'s): what the cross-run index persists (None: a short text)."""

    def setup(self):
        self.decompressor = zstandard.ZstdDecompressor()

    def process(self, waiting: tuple, roots: dict, window=beam.DoFn.WindowParam) -> Iterator:
        for fields, own, timestamp in pickle.loads(self.decompressor.decompress(waiting[1])):
            if fields["article_id"] not in roots:
                yield WindowedValue((fields, own), timestamp, [window])


class NearDedup(beam.PTransform):
    """(article rows, earlier runs' Signed) -> {"articles", "duplicates", "kept_signed"}.

    Signatures -> band keys -> GroupByKey per band key -> candidate pairs -> verified
    edges -> connected components -> every member folds into the component's first by
    ``rank.rank``. Earlier runs' signatures join the buckets so copies of old articles fold
    into them; they are never emitted. The kept Signed are what the index persists.
    """

    def __init__(self, params: NearDedupConfig):
        super().__init__()
        self.params = params

    def expand(self, pcolls):
        articles, earlier = pcolls
        bands, rows = lsh_bands(self.params)
        signed = articles | "Sign" >> beam.ParDo(_Sign(self.params)).with_outputs(
            WITH_ROW, main="signed")
        every = (signed.signed, earlier) | "WithEarlierRuns" >> beam.Flatten()
        pairs = (
            every | "BandKeys" >> beam.ParDo(_PackBands(bands, rows))
            | "Buckets" >> beam.GroupByKey()
            | "Candidates" >> beam.ParDo(_BucketPairs(self.params)))
        # Every Signed is shuffled once, packed, to meet the pairs it is a member of; the
        # two members of a pair then meet in the pair's partition.
        verified = (
            {"pairs": pairs | "PairEnds" >> beam.ParDo(_Pack(_pair_entries)),
             "signed": every | "ByRank" >> beam.ParDo(_Pack(_signed_entry))}
            | "JoinPairs" >> beam.CoGroupByKey()
            | "MembersToPairs" >> beam.FlatMap(_members_to_pairs)
            | "ByPair" >> beam.ParDo(_Pack(_pair_member_entry))
            | "GroupPairs" >> beam.GroupByKey()
            | "Verify" >> beam.ParDo(_Verify(self.params)).with_outputs(
                CLUSTERED, UNCERTAIN, main="edges"))
        waiting = signed[WITH_ROW] | "Compress" >> beam.ParDo(_Compress()).with_outputs(
            KEPT_WAITING, main="main")
        exact = self._exact_check(verified[UNCERTAIN], waiting.main)
        members = ((verified.edges, exact.edges) | "AllEdges" >> beam.Flatten()
                   | "Components" >> ConnectedComponents()
                   | "MembersByRoot" >> beam.FlatMap(_members_by_root))
        clustered = (verified[CLUSTERED], exact[CLUSTERED]) | "AllClustered" >> beam.Flatten()
        roots = ({"members": members, "signed": clustered}
                 | "JoinRoot" >> beam.CoGroupByKey()
                 | "RootPerMember" >> beam.FlatMap(_root_per_member))
        by_id = clustered | "ById" >> beam.MapTuple(lambda rank, signed: (signed.article_id,
                                                                          signed))
        # Side inputs by position: Beam passed a keyword one twice beside a WindowParam.
        folded = waiting.main | "Fold" >> beam.ParDo(
            _Fold(self.params), beam.pvalue.AsDict(roots), beam.pvalue.AsDict(by_id)
        ).with_outputs("duplicates", main="articles")
        kept_signed = waiting[KEPT_WAITING] | "KeptSigned" >> beam.ParDo(
            _KeptSigned(), beam.pvalue.AsDict(roots))
        return {"articles": folded.articles, "duplicates": folded.duplicates,
                KEPT_SIGNED: kept_signed}

    def _exact_check(self, uncertain, waiting):
        """Uncertain pairs -> the edges their exact shingle sets confirm (``_ExactCheck``);
        only their members' rows are decompressed and shingled."""
        wanted = (uncertain
                  | "UncertainMembers" >> beam.FlatMap(lambda pair: [s.article_id for s in pair])
                  | "OnceEach" >> beam.Distinct()
                  | "Wanted" >> beam.Map(lambda article_id: (article_id, True)))
        sets = waiting | "ShingleWanted" >> beam.ParDo(
            _ShingleWanted(self.params), wanted=beam.pvalue.AsDict(wanted))
        return uncertain | "ExactCheck" >> beam.ParDo(
            _ExactCheck(self.params), sets=beam.pvalue.AsDict(sets)).with_outputs(
                CLUSTERED, main="edges")
