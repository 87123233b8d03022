"""The checkpoint tools on a bucket (BucketStorage), against an in-memory store that answers as S3 does: objects by
key, listed without folders. The same tools on a real store run in the end-to-end run's s3 stack."""

import pytest
from checkpoint_origin import origin_of
from checkpoints import (
    METADATA_MAGIC,
    BucketStorage,
    S3Location,
    latest_checkpoint,
    listing_lines,
    prune_plan,
    resolve_checkpoint,
    scan,
    sharing_of,
)
from objectstore import StoredObject
from test_checkpoint_origin import REAL, VERSIONS

DIR = "s3://flink-checkpoints/checkpoints"
JOB_A = "a" * 32
JOB_B = "b" * 32
METADATA = METADATA_MAGIC + b"\x00\x00\x00\x04state"


class MemoryStore:
    """Objects by (bucket, key) with their bytes and time; what BucketStorage asks of an ObjectStore."""

    def __init__(self):
        self.objects: dict[tuple[str, str], tuple[bytes, float]] = {}
        self.deleted: list[str] = []

    def put(self, key: str, body: bytes, time: float) -> None:
        self.objects[("flink-checkpoints", key)] = (body, time)

    def list(self, bucket, prefix="", page_size=1000):
        for (b, key), (body, time) in sorted(self.objects.items()):
            if b == bucket and key.startswith(prefix):
                yield StoredObject(key, len(body), time)

    def read(self, bucket, key, length=None):
        body = self.objects[(bucket, key)][0]
        return body[:length] if length else body

    def delete(self, bucket, keys):
        for key in keys:
            self.objects.pop((bucket, key), None)
            self.deleted.append(key)
        return []


def checkpoint(store: MemoryStore, job: str, n: int, time: float, metadata: bytes | None = METADATA, state=b"") -> None:
    if state:
        store.put(f"checkpoints/{job}/chk-{n}/{n:08x}-state", state, time - 1)
    if metadata is not None:
        store.put(f"checkpoints/{job}/chk-{n}/_metadata", metadata, time)


@pytest.fixture
def store():
    return MemoryStore()


def bucket(store):
    return BucketStorage(DIR, S3Location("http://s3:8333"), store=store)


def test_the_newest_complete_checkpoint_is_found_by_its_metadata_object_never_by_folders(store):
    checkpoint(store, JOB_A, 3, time=1000)
    checkpoint(store, JOB_A, 4, time=1010, metadata=None, state=b"partial")
    checkpoint(store, JOB_A, 5, time=1020, metadata=b"")
    # A folder marker, as SeaweedFS lists a deleted checkpoint's prefix for a while: no checkpoint.
    store.put(f"checkpoints/{JOB_A}/chk-9/", b"", 1030)
    checkpoint(store, JOB_B, 7, time=900)
    choice = latest_checkpoint(bucket(store), "visit-windows", {})
    assert choice.checkpoint.uri == f"{DIR}/{JOB_A}/chk-3"
    assert "chk-5 has an empty _metadata; chk-4 has no _metadata" in choice.reason
    assert [c.number for c in scan(bucket(store))] == [5, 4, 3, 7]


def test_the_listing_shows_each_checkpoint_s_objects_bytes_and_metadata_time(store):
    checkpoint(store, JOB_A, 3, time=1_700_000_000, state=b"x" * 100)
    lines = listing_lines(scan(bucket(store)))
    assert lines[1].split() == [JOB_A, "chk-3", "yes", str(100 + len(METADATA)), "2023-11-14T22:13:20Z"]


def test_a_checkpoint_is_named_by_uri_or_latest_and_a_broken_one_is_refused(store):
    checkpoint(store, JOB_A, 3, time=1000)
    checkpoint(store, JOB_A, 4, time=1010, metadata=b"not flink")
    assert resolve_checkpoint(bucket(store), "latest") == f"{DIR}/{JOB_A}/chk-3"
    assert resolve_checkpoint(bucket(store), f"{DIR}/{JOB_A}/chk-3/_metadata") == f"{DIR}/{JOB_A}/chk-3"
    with pytest.raises(Exception, match="chk-4 has a _metadata that is not Flink checkpoint metadata"):
        resolve_checkpoint(bucket(store), f"{DIR}/{JOB_A}/chk-4")
    with pytest.raises(Exception, match="chk-8 does not exist"):
        resolve_checkpoint(bucket(store), f"{DIR}/{JOB_A}/chk-8")


def test_sharing_counts_referenced_objects_outside_the_checkpoint_and_those_gone(store):
    checkpoint(store, JOB_A, 4, time=1010)
    store.put(f"checkpoints/{JOB_A}/shared/s1", b"12345", 1000)
    sharing = sharing_of(
        scan(bucket(store))[0],
        [f"{DIR}/{JOB_A}/shared/s1", f"{DIR}/{JOB_A}/shared/gone", f"{DIR}/{JOB_A}/chk-4/own"],
        bucket(store),
    )
    assert (sharing.files, sharing.size, sharing.missing, sharing.places) == (2, 5, 1, (f"{JOB_A}/shared",))


def test_prune_removes_only_what_no_kept_checkpoint_references(store):
    for n, time in ((1, 1000), (2, 1010), (3, 1020), (4, 1030)):
        checkpoint(store, JOB_A, n, time=time, state=b"s")
    storage = bucket(store)
    checkpoints = scan(storage)
    latest = latest_checkpoint(storage, "", {}).checkpoint
    # chk-4, kept, references a file of chk-2 (as an incremental checkpoint may).
    referenced = {f"{DIR}/{JOB_A}/chk-4": [f"{DIR}/{JOB_A}/chk-2/00000002-state"]}
    plan = {f"chk-{d.checkpoint.number}": d for d in prune_plan(checkpoints, 1, latest, referenced, storage)}
    assert [name for name, d in sorted(plan.items()) if d.remove] == ["chk-1", "chk-3"]
    assert plan["chk-2"].reason == f"holds files that the kept {DIR}/{JOB_A}/chk-4 references"
    for decision in plan.values():
        if decision.remove:
            assert storage.remove(decision.checkpoint) == ("removed", "")
    assert sorted(store.deleted) == sorted(
        f"checkpoints/{JOB_A}/chk-{n}/{name}" for n in (1, 3) for name in (f"{n:08x}-state", "_metadata")
    )
    assert [c.number for c in scan(storage)] == [4, 2]
    assert storage.remove(plan["chk-1"].checkpoint) == ("gone", "already gone: Flink discarded it while prune ran")


def test_what_wrote_a_checkpoint_or_savepoint_is_read_from_its_objects_as_from_a_volume(store):
    # The real checkpoints of both lines (test_checkpoint_origin.py) as objects: a chk-N and a savepoint each.
    formats = {line: pinned["checkpointFormat"] for line, pinned in VERSIONS["flinkLines"].items()}
    for n, (line, folder) in enumerate(sorted(REAL.items()), start=1):
        for path in folder.iterdir():
            store.put(f"checkpoints/{JOB_A}/chk-{n}/{path.name}", path.read_bytes(), 1000 + n)
            store.put(
                f"checkpoints/savepoints/savepoint-{n:06x}-{line.replace('.', '')}0/{path.name}",
                path.read_bytes(),
                2000 + n,
            )
    storage = bucket(store)
    for n, (_line, folder) in enumerate(sorted(REAL.items()), start=1):
        assert storage.origin(f"{DIR}/{JOB_A}/chk-{n}", formats) == origin_of(str(folder), formats)
        assert storage.origin(f"{DIR}/{JOB_A}/chk-{n}/_metadata", formats) == origin_of(str(folder), formats)
    savepoints = storage.savepoints()
    assert [s.savepoint for s in savepoints] == ["savepoint-000002-220", "savepoint-000001-1200"]
    assert all(s.complete and s.number > 0 for s in savepoints)
    assert [storage.origin(s.uri, formats).lines for s in savepoints] == [("2.2",), ("1.20",)]
