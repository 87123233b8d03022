#!/usr/bin/env python3
"""The retained checkpoints, on the checkpoint volume or in a bucket: which are complete, and which one `latest` means.

    python3 checkpoints.py list [--checkpoint-dir file:///checkpoints_flink] [--inspector-jar JAR] [--json]
    python3 checkpoints.py list --checkpoint-dir s3://<bucket>/<prefix> --s3-endpoint URL [--s3-path-style true|false] [--json]
    python3 checkpoints.py inspect <chk-N folder | latest> --inspector-jar JAR [--json]
    python3 checkpoints.py prune --keep N [--apply] [--protect URI] [--rest-url URL] --inspector-jar JAR

`inspect`, `prune` and `list` with --inspector-jar read the checkpoints with the checkpoint inspector (a Java tool on Flink's State Processor
API, jobs/flink/checkpoint-inspector, built by `tsx setup/cli.ts path inspector <line>`): the operators and referenced files
from `_metadata`, and for `inspect` the Kafka source's offsets from its split state. It runs with the Flink image's
jars (--flink-classpath, default /opt/flink/lib/*).

Flink writes checkpoint n of job <id> into <checkpoint dir>/<id>/chk-<n>/ and writes its `_metadata` last,
when the checkpoint completes. A chk-<n> without `_metadata` (still in progress, aborted, or cut short by a
crash), with an empty one, or with one that does not start with Flink's metadata magic number cannot be
restored from; it is listed as incomplete and never chosen.

Every listing and inspection also says what wrote a checkpoint or savepoint: the Flink line (its metadata format)
and PyFlink's execution mode (checkpoint_origin.py), and, given the stack's --flink-line, --checkpoint-formats and
--python-execution-mode, whether this stack can restore it. `list` shows the savepoints in <checkpoint dir>/savepoints
too (never pruned).

`latest` is the newest complete checkpoint of the latest run of a job name: among the job folders that the
cluster does not know as a job of another name, the one whose newest complete checkpoint was written last
(its `_metadata`'s modification time). The cluster's job list (REST /jobs/overview) is only used to exclude
folders of other jobs, never required to name ours: it covers only the jobs since the JobManager started, for
jobstore.expiration-time (1 h by default), and a session cluster without HA forgets every job when the
JobManager restarts; the folders on the volume outlive all of that. Within a folder, the highest n wins.

Where they live is one abstraction, Storage: VolumeStorage reads a mounted folder (file://), BucketStorage an S3
bucket (s3://, through objectstore.py, with the credentials file the stack mounts). Everything above it (list,
latest, inspect, prune, the sharing check) is the same code for both. In a bucket a chk-<n> is the set of objects
under <dir>/<id>/chk-<n>/, found by listing objects, never "folders" (some servers keep listing a deleted
checkpoint's prefix for minutes); the times are the objects' LastModified.

Standard library only (and visits_logic, for the job's operator uids): it runs inside the Flink image
(submit.py, `npm run checkpoints`).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone

from checkpoint_origin import (
    EXECUTION_MODES,
    HEADER_BYTES,
    METADATA_FILE,
    METADATA_MAGIC,
    Origin,
    Runtime,
    header_of,
    metadata_header,
    mode_of,
    origin_from,
    origin_of,
    origin_short,
    origin_text,
    parse_formats,
    records_in,
    restore_problem,
)
from objectstore import (
    DEFAULT_CREDENTIALS_FILE,
    ObjectStore,
    ObjectStoreError,
    StoredObject,
    read_credentials,
    split_uri,
)
from visits_logic import (
    DLQ_SINK_UID,
    EVENT_TIME_UID,
    OUTPUT_SINK_UID,
    ROUTE_DEAD_LETTERS_UID,
    SOURCE_UID,
    WINDOWS_UID,
)

JOB_ID = re.compile(r"^[0-9a-f]{32}$")
CHECKPOINT_FOLDER = re.compile(r"^chk-(\d+)$")
# Where a savepoint without a target goes (execution.checkpointing.savepoint-dir, infra/specs.ts), and its folders.
SAVEPOINTS_FOLDER = "savepoints"
SAVEPOINT_FOLDER = re.compile(r"^savepoint-[0-9a-f]{6}-[0-9a-f]+$")
FILE_URI_PREFIX = "file://"
S3_URI_PREFIX = "s3://"
DEFAULT_CHECKPOINT_DIR = "file:///checkpoints_flink"
DEFAULT_FLINK_CLASSPATH = "/opt/flink/lib/*"
INSPECTOR_MAIN_CLASS = "org.flinkcheckpointer.inspector.CheckpointInspector"
LATEST = "latest"

# What each operator of the job keeps in a checkpoint, by uid; a restore needs each of them in it.
# A sink of Flink's unified Sink API runs as a writer, whose uid is the sink's, and a committer,
# whose uid Flink derives as "Sink Committer: <uid>" (SinkTransformationTranslator).
STATEFUL_OPERATORS: tuple[tuple[str, str], ...] = (
    (SOURCE_UID, "Kafka source: the partitions' offsets"),
    (WINDOWS_UID, "windows: the visits of every open window"),
    (OUTPUT_SINK_UID, "output sink writer: its Kafka transactions"),
    (f"Sink Committer: {OUTPUT_SINK_UID}", "output sink committer: transactions to commit"),
    (DLQ_SINK_UID, "dead-letter sink writer: its Kafka transactions"),
    (f"Sink Committer: {DLQ_SINK_UID}", "dead-letter sink committer: transactions to commit"),
)
# Operators that keep no state, named so the inspection shows every operator of the job by its uid.
STATELESS_OPERATOR_UIDS = (ROUTE_DEAD_LETTERS_UID, EVENT_TIME_UID)


class CheckpointSearchError(Exception):
    """No checkpoint could be chosen; the message names the folder searched and what was found."""


@dataclass(frozen=True)
class Checkpoint:
    job_id: str
    number: int
    uri: str
    # Why it cannot be restored from; None when complete.
    problem: str | None
    # Modification time of _metadata (complete) or of the folder (incomplete), seconds since the epoch.
    time: float
    # Bytes of the files in chk-<n>/ (the exclusive state and _metadata).
    size: int
    # The folder's name for a savepoint (savepoints/savepoint-…; job_id is then SAVEPOINTS_FOLDER), None for chk-<n>.
    savepoint: str | None = None

    @property
    def label(self) -> str:
        return self.savepoint or f"chk-{self.number}"

    @property
    def complete(self) -> bool:
        return self.problem is None


@dataclass(frozen=True)
class LatestChoice:
    checkpoint: Checkpoint
    # Why this one, e.g. "newest complete; chk-8 has no _metadata; latest run of 'visit-windows' ...".
    reason: str


def local_path(checkpoint_dir_uri: str) -> str:
    """The path of a file:// checkpoint directory, as mounted in this container."""
    if not checkpoint_dir_uri.startswith(FILE_URI_PREFIX + "/"):
        raise CheckpointSearchError(
            f"checkpoint directory {checkpoint_dir_uri!r} is not a file:/// URI; only a mounted volume can be searched"
        )
    return checkpoint_dir_uri[len(FILE_URI_PREFIX) :].rstrip("/") or "/"


def metadata_problem(head: bytes | None) -> str | None:
    """Why a _metadata whose first bytes are `head` (None: there is none) cannot be restored from, or None."""
    if head is None:
        return f"has no {METADATA_FILE}"
    if not head:
        return f"has an empty {METADATA_FILE}"
    if head != METADATA_MAGIC:
        return f"has a {METADATA_FILE} that is not Flink checkpoint metadata"
    return None


def checkpoint_problem(folder: str) -> str | None:
    """Why chk-<n> at `folder` (on the volume) cannot be restored from, or None when its _metadata is there and Flink's."""
    metadata = os.path.join(folder, METADATA_FILE)
    if not os.path.isfile(metadata):
        return metadata_problem(None)
    try:
        with open(metadata, "rb") as stream:
            head = stream.read(len(METADATA_MAGIC))
    except OSError as error:
        return f"has a {METADATA_FILE} that cannot be read ({error.strerror})"
    return metadata_problem(head)


def _folder_size(folder: str) -> int:
    total = 0
    for parent, _, files in os.walk(folder):
        for name in files:
            try:
                total += os.lstat(os.path.join(parent, name)).st_size
            except OSError:
                pass  # removed while listing: Flink discards subsumed checkpoints
    return total


def _real_folders(folder: str) -> list[os.DirEntry]:
    """The entries of `folder` that are folders themselves, not symbolic links to one; none when `folder` is gone.

    Flink never links checkpoint folders: a link is someone else's, and following it would read (and prune would
    remove) whatever it points to, outside the checkpoint directory.
    """
    try:
        with os.scandir(folder) as entries:
            return [entry for entry in entries if entry.is_dir(follow_symlinks=False)]
    except (FileNotFoundError, NotADirectoryError):
        return []  # discarded by Flink while listing


def _local_file(reference: str) -> str:
    """A path given as file:///x, file:/x or /x, as a path."""
    if reference.startswith("file:"):
        reference = "/" + reference[len("file:") :].lstrip("/")
    return reference.rstrip("/") or "/"


@dataclass(frozen=True)
class LinkedFolder:
    """A symbolic link where Flink keeps a job folder or a chk-N: never followed, never removed."""

    job_id: str
    # The chk-N it stands for, or None for a link named like a job folder.
    checkpoint: str | None
    target: str


class Storage:
    """Where the retained checkpoints live: what the tools read and remove, whatever the medium."""

    # The checkpoint directory's URI (execution.checkpointing.dir), without a trailing slash.
    uri: str

    def describe(self) -> str:
        """The place as a person reads it in a message."""
        raise NotImplementedError

    def job_ids(self) -> list[str]:
        """The job ids that have a folder (a key prefix) in the checkpoint directory."""
        raise NotImplementedError

    def checkpoints(self, job_id: str) -> list[Checkpoint]:
        """Every chk-<n> of one job, highest n first."""
        raise NotImplementedError

    def links(self) -> list[LinkedFolder]:
        """Links where Flink keeps a job folder or a chk-N (a volume's): never followed, never removed."""
        raise NotImplementedError

    def job_changed_time(self, job_id: str) -> float | None:
        """When the job's folder last changed (None: gone meanwhile)."""
        raise NotImplementedError

    def problem(self, checkpoint_uri: str) -> str | None:
        """Why the chk-<n> at that URI cannot be restored from now ("does not exist" included), or None."""
        raise NotImplementedError

    def existing_sizes(self, references: Sequence[str]) -> dict[str, int]:
        """The bytes of each referenced file (as the inspector names it) that exists, by reference."""
        raise NotImplementedError

    def remove(self, checkpoint: Checkpoint) -> tuple[str, str]:
        """Removes a chk-<n> with everything in it: (removed | gone | failed, why)."""
        raise NotImplementedError

    def normalize(self, reference: str) -> str:
        """A checkpoint or file reference (a URI as Flink or the user writes it, or a path) in this storage's own form."""
        raise NotImplementedError

    def checkpoint_key(self, reference: str) -> str:
        """The one spelling of a chk-N (of a reference to it or its _metadata), to compare protections by."""
        raise NotImplementedError

    def inspector_path(self, checkpoint_uri: str) -> str:
        """What the checkpoint inspector is given for a chk-<n>: a path in this container, or an s3:// URI."""
        raise NotImplementedError

    def savepoints(self) -> list[Checkpoint]:
        """Every savepoint-… folder in <checkpoint dir>/savepoints, newest first; its number is the checkpoint id its
        _metadata holds (0 when it has none). Kept apart from checkpoints(): prune never removes a savepoint."""
        raise NotImplementedError

    def origin(self, checkpoint: str, formats: Mapping[str, int]) -> Origin:
        """What wrote the checkpoint or savepoint `checkpoint` (its URI or path): its _metadata's format and the
        python execution mode its window state's name says (checkpoint_origin.py)."""
        raise NotImplementedError

    def place_of(self, reference: str) -> tuple[str, str] | None:
        """(job id, the folder below it: chk-N, shared, ...) of a file under the checkpoint directory, or None."""
        normalized = self.normalize(reference)
        if not normalized.startswith(self.uri + "/"):
            return None
        parts = normalized[len(self.uri) + 1 :].split("/")
        return (parts[0], parts[1]) if len(parts) >= 3 else None

    def checkpoint_of(self, reference: str) -> tuple[str, str] | None:
        """(job id, chk-N) of the checkpoint a file lies in, or None (shared/, elsewhere)."""
        place = self.place_of(reference)
        return place if place is not None and CHECKPOINT_FOLDER.match(place[1]) else None


class VolumeStorage(Storage):
    """A checkpoint directory on a volume mounted in this container (file://). Links are never followed."""

    def __init__(self, uri: str):
        self.root = local_path(uri)
        self.uri = f"{FILE_URI_PREFIX}{self.root}"

    def describe(self) -> str:
        return self.root

    def _existing_root(self) -> str:
        if not os.path.isdir(self.root):
            raise CheckpointSearchError(
                f"{self.root} does not exist in this container; is the checkpoint volume mounted there?"
            )
        return self.root

    def job_ids(self) -> list[str]:
        return sorted(entry.name for entry in _real_folders(self._existing_root()) if JOB_ID.match(entry.name))

    def checkpoints(self, job_id: str) -> list[Checkpoint]:
        """Every chk-<n> of one job folder, highest n first; one that Flink discards while it is read is left out."""
        found = []
        for entry in _real_folders(os.path.join(self.root, job_id)):
            match = CHECKPOINT_FOLDER.match(entry.name)
            if not match:
                continue
            problem = checkpoint_problem(entry.path)
            stamped = entry.path if problem else os.path.join(entry.path, METADATA_FILE)
            try:
                time = os.path.getmtime(stamped)
            except FileNotFoundError:
                continue  # discarded by Flink between the listing and now
            found.append(
                Checkpoint(
                    job_id=job_id,
                    number=int(match.group(1)),
                    uri=f"{self.uri}/{job_id}/{entry.name}",
                    problem=problem,
                    time=time,
                    size=_folder_size(entry.path),
                )
            )
        return sorted(found, key=lambda checkpoint: checkpoint.number, reverse=True)

    def links(self) -> list[LinkedFolder]:
        root = self._existing_root()

        def links_in(folder: str, pattern: re.Pattern) -> list[tuple[str, str]]:
            try:
                with os.scandir(folder) as entries:
                    return [
                        (entry.name, os.readlink(entry.path))
                        for entry in entries
                        if pattern.match(entry.name) and entry.is_symlink()
                    ]
            except FileNotFoundError:
                return []  # the job folder was discarded while listing, or the link removed meanwhile

        found = [LinkedFolder(name, None, target) for name, target in links_in(root, JOB_ID)]
        for job_id in self.job_ids():
            found += [
                LinkedFolder(job_id, name, target)
                for name, target in links_in(os.path.join(root, job_id), CHECKPOINT_FOLDER)
            ]
        return sorted(found, key=lambda link: (link.job_id, link.checkpoint or ""))

    def job_changed_time(self, job_id: str) -> float | None:
        try:
            return os.path.getmtime(os.path.join(self.root, job_id))
        except FileNotFoundError:
            return None  # discarded meanwhile

    def problem(self, checkpoint_uri: str) -> str | None:
        path = self.inspector_path(checkpoint_uri)
        return checkpoint_problem(path) if os.path.isdir(path) else "does not exist"

    def existing_sizes(self, references: Sequence[str]) -> dict[str, int]:
        return {
            reference: os.path.getsize(_local_file(reference))
            for reference in references
            if os.path.isfile(_local_file(reference))
        }

    def remove(self, checkpoint: Checkpoint) -> tuple[str, str]:
        return remove_checkpoint_folder(self.root, checkpoint)

    def normalize(self, reference: str) -> str:
        return f"{FILE_URI_PREFIX}{os.path.normpath(_local_file(reference))}"

    def checkpoint_key(self, reference: str) -> str:
        return checkpoint_path(reference)

    def inspector_path(self, checkpoint_uri: str) -> str:
        return checkpoint_path(checkpoint_uri)

    def savepoints(self) -> list[Checkpoint]:
        return scan_savepoints(self.uri)

    def origin(self, checkpoint: str, formats: Mapping[str, int]) -> Origin:
        return origin_of(checkpoint_path(checkpoint), formats)


@dataclass(frozen=True)
class S3Location:
    """How to reach the store of an s3:// checkpoint directory: Flink's s3.endpoint and s3.path.style.access."""

    endpoint: str
    path_style: bool = True
    credentials_file: str = DEFAULT_CREDENTIALS_FILE


class BucketStorage(Storage):
    """A checkpoint directory in an S3 bucket (s3://<bucket>/<prefix>), read by listing its objects."""

    def __init__(self, uri: str, location: S3Location, store: ObjectStore | None = None):
        self.uri = uri.rstrip("/")
        self.bucket, self.prefix = split_uri(self.uri)
        self.location = location
        try:
            self.store = store or ObjectStore(
                location.endpoint, read_credentials(location.credentials_file), path_style=location.path_style
            )
        except ObjectStoreError as error:
            raise CheckpointSearchError(str(error)) from None

    def describe(self) -> str:
        return f"{self.uri} (at {self.location.endpoint})"

    def _objects(self, below: str) -> list[StoredObject]:
        """Every object under <prefix>/<below>, with keys relative to the prefix."""
        start = f"{self.prefix}/" if self.prefix else ""
        try:
            return [
                StoredObject(item.key[len(start) :], item.size, item.modified)
                for item in self.store.list(self.bucket, start + below)
            ]
        except ObjectStoreError as error:
            raise CheckpointSearchError(f"cannot list {self.uri}/{below}: {error}") from None

    def _read(self, key: str, length: int | None = None) -> bytes:
        """The object at <prefix>/<key> (or its first `length` bytes); b"" when Flink discarded it meanwhile."""
        try:
            return self.store.read(self.bucket, f"{self.prefix}/{key}", length)
        except ObjectStoreError as error:
            if error.status == 404:
                return b""  # discarded by Flink between the listing and now
            raise CheckpointSearchError(f"cannot read {self.uri}/{key}: {error}") from None

    def _head(self, key: str) -> bytes:
        return self._read(key, len(METADATA_MAGIC))

    def job_ids(self) -> list[str]:
        return sorted(
            {item.key.split("/", 1)[0] for item in self._objects("") if JOB_ID.match(item.key.split("/", 1)[0])}
        )

    def _checkpoints_in(self, objects: Sequence[StoredObject]) -> list[Checkpoint]:
        folders: dict[tuple[str, str], list[StoredObject]] = {}
        for item in objects:
            parts = item.key.split("/")
            # A key ending in "/" is a folder marker some servers list (SeaweedFS, a while after a delete): no data.
            if len(parts) >= 3 and JOB_ID.match(parts[0]) and CHECKPOINT_FOLDER.match(parts[1]) and parts[-1]:
                folders.setdefault((parts[0], parts[1]), []).append(item)
        found = []
        for (job_id, name), items in folders.items():
            metadata = next((item for item in items if item.key == f"{job_id}/{name}/{METADATA_FILE}"), None)
            head = None if metadata is None else (b"" if metadata.size == 0 else self._head(metadata.key))
            problem = metadata_problem(head)
            found.append(
                Checkpoint(
                    job_id=job_id,
                    number=int(CHECKPOINT_FOLDER.match(name).group(1)),
                    uri=f"{self.uri}/{job_id}/{name}",
                    problem=problem,
                    time=metadata.modified
                    if metadata is not None and problem is None
                    else max(i.modified for i in items),
                    size=sum(item.size for item in items),
                )
            )
        return sorted(found, key=lambda checkpoint: (checkpoint.job_id, -checkpoint.number))

    def checkpoints(self, job_id: str) -> list[Checkpoint]:
        return self._checkpoints_in(self._objects(f"{job_id}/"))

    def savepoints(self) -> list[Checkpoint]:
        folders: dict[str, list[StoredObject]] = {}
        for item in self._objects(f"{SAVEPOINTS_FOLDER}/"):
            parts = item.key.split("/")
            if len(parts) >= 3 and SAVEPOINT_FOLDER.match(parts[1]) and parts[-1]:
                folders.setdefault(parts[1], []).append(item)
        found = []
        for name, items in folders.items():
            metadata = next((item for item in items if item.key == f"{SAVEPOINTS_FOLDER}/{name}/{METADATA_FILE}"), None)
            head = None if metadata is None else self._read(metadata.key, HEADER_BYTES)
            problem = metadata_problem(None if head is None else head[: len(METADATA_MAGIC)])
            header = header_of(head) if head else None
            found.append(
                Checkpoint(
                    job_id=SAVEPOINTS_FOLDER,
                    number=header[1] if header else 0,
                    uri=f"{self.uri}/{SAVEPOINTS_FOLDER}/{name}",
                    problem=problem,
                    time=metadata.modified if metadata is not None else max(item.modified for item in items),
                    size=sum(item.size for item in items),
                    savepoint=name,
                )
            )
        return sorted(found, key=lambda savepoint: savepoint.time, reverse=True)

    def origin(self, checkpoint: str, formats: Mapping[str, int]) -> Origin:
        # Every object of the folder is read: the window state's name is in _metadata below the inline threshold,
        # else in the state file of the subtask that holds it.
        folder = self.normalize(checkpoint)[len(self.uri) + 1 :]
        header, found = None, set()
        for item in self._objects(f"{folder}/"):
            data = self._read(item.key)
            if item.key == f"{folder}/{METADATA_FILE}":
                header = header_of(data[:HEADER_BYTES])
            found |= records_in([data])
        return origin_from(header, mode_of(found), formats)

    def problem(self, checkpoint_uri: str) -> str | None:
        place = self.checkpoint_of(checkpoint_uri + "/" + METADATA_FILE)
        if place is None:
            return "is not a chk-<n> under " + self.uri
        found = self._checkpoints_in(self._objects(f"{place[0]}/{place[1]}/"))
        return found[0].problem if found else "does not exist"

    def existing_sizes(self, references: Sequence[str]) -> dict[str, int]:
        by_job: dict[str, dict[str, int]] = {}
        sizes = {}
        for reference in references:
            place = self.place_of(reference)
            if place is None:
                continue
            listing = by_job.setdefault(place[0], {item.key: item.size for item in self._objects(f"{place[0]}/")})
            key = self.normalize(reference)[len(self.uri) + 1 :]
            if key in listing:
                sizes[reference] = listing[key]
        return sizes

    def remove(self, checkpoint: Checkpoint) -> tuple[str, str]:
        folder = f"{checkpoint.job_id}/chk-{checkpoint.number}/"
        keys = [f"{self.prefix}/{item.key}" for item in self._objects(folder)]
        if not keys:
            return "gone", "already gone: Flink discarded it while prune ran"
        try:
            failed = self.store.delete(self.bucket, keys)
        except ObjectStoreError as error:
            return "failed", f"could not delete its objects: {error}; run prune again"
        if failed:
            return "failed", f"{len(failed)} of its {len(keys)} objects could not be deleted; run prune again"
        return "removed", ""

    def normalize(self, reference: str) -> str:
        reference = reference.rstrip("/")
        return reference[: -len("/" + METADATA_FILE)] if reference.endswith("/" + METADATA_FILE) else reference

    def links(self) -> list[LinkedFolder]:
        return []  # a bucket has no links

    def job_changed_time(self, job_id: str) -> float | None:
        return max((item.modified for item in self._objects(f"{job_id}/")), default=None)

    def checkpoint_key(self, reference: str) -> str:
        return self.normalize(reference)

    def inspector_path(self, checkpoint_uri: str) -> str:
        return self.normalize(checkpoint_uri)

    def place_of(self, reference: str) -> tuple[str, str] | None:
        normalized = reference.rstrip("/")
        if not normalized.startswith(self.uri + "/"):
            return None
        parts = normalized[len(self.uri) + 1 :].split("/")
        return (parts[0], parts[1]) if len(parts) >= 3 else None


def open_storage(checkpoint_dir: str | Storage, s3: S3Location | None = None) -> Storage:
    """The storage of a checkpoint directory: a file:// URI (or a path) on a volume, or an s3:// URI with `s3`."""
    if isinstance(checkpoint_dir, Storage):
        return checkpoint_dir
    if checkpoint_dir.startswith(S3_URI_PREFIX):
        if s3 is None:
            raise CheckpointSearchError(
                f"checkpoint directory {checkpoint_dir!r} is a bucket: give its store with --s3-endpoint "
                "(the stack's checkpointListing output carries it)"
            )
        return BucketStorage(checkpoint_dir, s3)
    return VolumeStorage(
        checkpoint_dir if checkpoint_dir.startswith(FILE_URI_PREFIX) else f"{FILE_URI_PREFIX}{checkpoint_dir}"
    )


def scan_job_folder(checkpoint_dir: str | Storage, job_id: str) -> list[Checkpoint]:
    """Every chk-<n> of one job folder, highest n first."""
    return open_storage(checkpoint_dir).checkpoints(job_id)


def job_folders(checkpoint_dir: str | Storage) -> list[str]:
    """The job ids that have a folder in the checkpoint directory (other entries, and links, are ignored)."""
    return open_storage(checkpoint_dir).job_ids()


def linked_folders(checkpoint_dir: str | Storage) -> list[LinkedFolder]:
    """The links named like job folders in the checkpoint directory, and like chk-N in its job folders."""
    return open_storage(checkpoint_dir).links()


def scan(checkpoint_dir: str | Storage) -> list[Checkpoint]:
    """Every chk-<n> of every job folder: by job id, then highest n first."""
    storage = open_storage(checkpoint_dir)
    return [checkpoint for job_id in storage.job_ids() for checkpoint in storage.checkpoints(job_id)]


def scan_savepoints(checkpoint_dir_uri: str) -> list[Checkpoint]:
    """Every savepoint-… folder in <checkpoint dir>/savepoints, newest first; its number is the checkpoint id its
    _metadata holds (0 when it has none). Kept apart from scan(): prune never removes a savepoint."""
    folder = os.path.join(local_path(checkpoint_dir_uri), SAVEPOINTS_FOLDER)
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    found = []
    for name in names:
        path = os.path.join(folder, name)
        if not SAVEPOINT_FOLDER.match(name) or not os.path.isdir(path) or os.path.islink(path):
            continue
        problem = checkpoint_problem(path)
        header = None if problem else metadata_header(path)
        try:
            time = os.path.getmtime(path if problem else os.path.join(path, METADATA_FILE))
        except FileNotFoundError:
            continue  # removed while listing
        found.append(
            Checkpoint(
                job_id=SAVEPOINTS_FOLDER,
                number=header[1] if header else 0,
                uri=f"{checkpoint_dir_uri.rstrip('/')}/{SAVEPOINTS_FOLDER}/{name}",
                problem=problem,
                time=time,
                size=_folder_size(path),
                savepoint=name,
            )
        )
    return sorted(found, key=lambda savepoint: savepoint.time, reverse=True)


def _timestamp(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def latest_checkpoint(checkpoint_dir: str | Storage, job_name: str, cluster_jobs: Mapping[str, str]) -> LatestChoice:
    """The newest complete checkpoint of the latest run of `job_name` (see the module's documentation).

    cluster_jobs maps the job ids the cluster knows to their names (from GET /jobs/overview).
    """
    storage = open_storage(checkpoint_dir)
    root = storage.describe()
    folders = storage.job_ids()
    others = [job_id for job_id in folders if cluster_jobs.get(job_id, job_name) != job_name]
    candidates = []
    for job_id in folders:
        if job_id in others:
            continue
        checkpoints = storage.checkpoints(job_id)
        complete = [checkpoint for checkpoint in checkpoints if checkpoint.complete]
        if complete:
            skipped = [checkpoint for checkpoint in checkpoints if checkpoint.number > complete[0].number]
            candidates.append((complete[0], skipped))

    others_note = (
        f"; {len(others)} folder{'s' if len(others) != 1 else ''} of other jobs skipped "
        f"({', '.join(f'{job_id} is {cluster_jobs[job_id]!r}' for job_id in others)})"
        if others
        else ""
    )
    if not candidates:
        raise CheckpointSearchError(
            f"no complete retained checkpoint (chk-<n> with {METADATA_FILE}) of job {job_name!r} in {root} "
            f"({len(folders)} job folder{'s' if len(folders) != 1 else ''} searched{others_note}); "
            "submit without restoreFrom to start from the earliest offsets, or name a checkpoint or savepoint"
        )

    chosen, skipped = max(candidates, key=lambda candidate: candidate[0].time)
    newest = "newest complete" + "".join(f"; chk-{checkpoint.number} {checkpoint.problem}" for checkpoint in skipped)
    known = (
        f"known to the cluster as {job_name!r}"
        if chosen.job_id in cluster_jobs
        else "not known to the cluster (it forgets jobs after an hour or a JobManager restart)"
    )
    run = (
        f"job {chosen.job_id}, {known}, is the latest run: its {METADATA_FILE} of {_timestamp(chosen.time)} "
        f"is the newest of {len(candidates)} job folder{'s' if len(candidates) != 1 else ''} with a complete checkpoint"
    )
    return LatestChoice(checkpoint=chosen, reason=f"{newest}; {run}{others_note}")


def _table_lines(rows: Sequence[Sequence[str]]) -> list[str]:
    """Rows as aligned columns; the last column is free text, not padded."""
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]) - 1)]
    return [
        "  ".join(value.ljust(width) for value, width in zip(row, widths, strict=False)) + "  " + row[-1]
        for row in rows
    ]


@dataclass(frozen=True)
class Sharing:
    """The files a complete checkpoint's _metadata references outside its own chk-N folder: what an incremental
    checkpoint (RocksDB's) shares with the checkpoints before and after it, in shared/ or an older chk-N."""

    files: int
    # Bytes of those files that are still there.
    size: int
    # Referenced but gone: the checkpoint cannot be restored from.
    missing: int
    # Where they are, relative to the checkpoint directory: "<job id>/shared", "<job id>/chk-3", ...
    places: tuple[str, ...]


def sharing_of(checkpoint: Checkpoint, referenced_files: Sequence[str], storage: str | Storage) -> Sharing:
    """What of `referenced_files` (the inspector's: file: URIs or paths, or s3:// URIs) lies outside the checkpoint's own folder."""
    storage = open_storage(storage)
    own = storage.normalize(checkpoint.uri) + "/"
    outside = [reference for reference in referenced_files if not storage.normalize(reference).startswith(own)]
    present = storage.existing_sizes(outside)
    places = sorted(
        {
            "/".join(place)
            if (place := storage.place_of(reference))
            else storage.normalize(reference).rsplit("/", 1)[0]
            for reference in outside
        }
    )
    return Sharing(
        files=len(outside),
        size=sum(present.values()),
        missing=len(outside) - len(present),
        places=tuple(places),
    )


def sharing_text(sharing: Sharing | None) -> str:
    if sharing is None:
        return "-"
    if sharing.files == 0:
        return "no"
    missing = f", {sharing.missing} MISSING: cannot be restored from" if sharing.missing else ""
    return f"yes: {sharing.files} file{'s' if sharing.files != 1 else ''} ({sharing.size} bytes) in {', '.join(sharing.places)}{missing}"


@dataclass(frozen=True)
class Provenance:
    """What wrote a checkpoint, and why this stack cannot restore it (None: nothing known stands in the way)."""

    origin: Origin
    problem: str | None
    # The problem in a few words, for a table.
    reason: str | None


def provenance_of(storage: Storage, checkpoint: str, formats: Mapping[str, int], runtime: Runtime | None) -> Provenance:
    """What wrote the checkpoint or savepoint `checkpoint` (its URI or path), and whether `runtime` can restore it."""
    origin = storage.origin(checkpoint, formats)
    problem = restore_problem(origin, runtime) if runtime is not None else None
    return Provenance(origin, problem.message if problem else None, problem.reason if problem else None)


def _restore_here(checkpoint: Checkpoint, provenance: Provenance | None, runtime: Runtime | None) -> str:
    if not checkpoint.complete or provenance is None:
        return "-"
    if runtime is None:
        return "? (give --flink-line and --checkpoint-formats)"
    return f"no: {provenance.reason}" if provenance.reason else "yes"


def listing_json(
    checkpoints: Sequence[Checkpoint],
    sharing: Mapping[str, Sharing] | None = None,
    provenance: Mapping[str, Provenance] | None = None,
) -> list[dict]:
    """The listing as data: each checkpoint's job, number, URI, completeness, bytes, time, (with `sharing`) what it
    shares and (with `provenance`) what wrote it and why this stack cannot restore it (`restoreProblem`, null when
    nothing stands in the way); for callers that read it, such as the end-to-end run."""
    entries = []
    for checkpoint in checkpoints:
        shared = sharing.get(checkpoint.uri) if sharing is not None else None
        wrote = provenance.get(checkpoint.uri) if provenance is not None else None
        entries.append(
            {
                "jobId": checkpoint.job_id,
                "checkpoint": checkpoint.number,
                **({"savepoint": checkpoint.savepoint} if checkpoint.savepoint else {}),
                "uri": checkpoint.uri,
                "complete": checkpoint.complete,
                "problem": checkpoint.problem,
                "bytes": checkpoint.size,
                "time": _timestamp(checkpoint.time),
                "sharing": None
                if shared is None
                else {
                    "files": shared.files,
                    "bytes": shared.size,
                    "missing": shared.missing,
                    "places": list(shared.places),
                },
                **(
                    {}
                    if provenance is None
                    else {
                        "origin": wrote.origin.as_json() if wrote else None,
                        "restoreProblem": wrote.problem if wrote else None,
                    }
                ),
            }
        )
    return entries


def listing_lines(
    checkpoints: Sequence[Checkpoint],
    sharing: Mapping[str, Sharing] | None = None,
    provenance: Mapping[str, Provenance] | None = None,
    runtime: Runtime | None = None,
) -> list[str]:
    """A table of checkpoints: job id, checkpoint, complete or why not, size, time, with `sharing` (by uri) whether
    each shares files incrementally ("-" for one without an entry: incomplete, or removed by Flink while listing), and
    with `provenance` what wrote it (Flink line, execution mode) and whether this stack (`runtime`) can restore it."""
    rows = [
        (
            "job id",
            "checkpoint",
            "complete",
            "bytes",
            "time (UTC)",
            *(("shared incrementally",) if sharing is not None else ()),
            *(("written by", "restore here") if provenance is not None else ()),
        )
    ]
    for checkpoint in checkpoints:
        wrote = provenance.get(checkpoint.uri) if provenance is not None else None
        rows.append(
            (
                checkpoint.job_id,
                checkpoint.label,
                "yes" if checkpoint.complete else f"no: {checkpoint.problem}",
                str(checkpoint.size),
                _timestamp(checkpoint.time),
                *((sharing_text(sharing.get(checkpoint.uri)),) if sharing is not None else ()),
                *(
                    (origin_short(wrote.origin) if wrote else "-", _restore_here(checkpoint, wrote, runtime))
                    if provenance is not None
                    else ()
                ),
            )
        )
    return _table_lines(rows)


# --- inspect: what a checkpoint holds, and whether the job can restore it ---------------------------


class InspectionError(Exception):
    """The checkpoint inspector could not run or could not read a checkpoint; the message says which."""


def inspector_command(
    jar: str, flink_classpath: str, checkpoint_paths: Sequence[str], source_uid: str | None
) -> list[str]:
    """The java command that inspects checkpoints; every operator uid of the job names its operator.

    With `source_uid`, the tool also reads that Kafka source's offsets with the State Processor API (a short job on
    a mini cluster in the tool's JVM, seconds); without, it reads only the _metadata.
    """
    java_home = os.environ.get("JAVA_HOME")
    java = os.path.join(java_home, "bin", "java") if java_home else "java"
    uids = [uid for uid, _ in STATEFUL_OPERATORS] + list(STATELESS_OPERATOR_UIDS)
    # Log4j's simple logger: errors to stderr, no configuration file, and stdout stays the JSON. A JVM that lives
    # seconds starts faster with the client compiler alone and the serial collector (README: Performance).
    return [
        java,
        "-Dlog4j2.loggerContextFactory=org.apache.logging.log4j.simple.SimpleLoggerContextFactory",
        "-XX:TieredStopAtLevel=1",
        "-XX:+UseSerialGC",
        "-cp",
        f"{jar}:{flink_classpath}",
        INSPECTOR_MAIN_CLASS,
        *[argument for uid in uids for argument in ("--uid", uid)],
        *(("--source-uid", source_uid) if source_uid is not None else ()),
        *checkpoint_paths,
    ]


def run_inspector(
    jar: str, flink_classpath: str, checkpoint_paths: Sequence[str], source_uid: str | None = None
) -> list[dict]:
    """One inspection (the tool's JSON object) per checkpoint, in order; source offsets only with `source_uid`."""
    if not os.path.isfile(jar):
        raise InspectionError(
            f"the checkpoint inspector {jar} does not exist here; build it with `tsx setup/cli.ts path inspector <line>` "
            "and copy its checkpoint-inspector.jar in (npm run checkpoints does both)"
        )
    command = inspector_command(jar, flink_classpath, checkpoint_paths, source_uid)
    try:
        ran = subprocess.run(command, capture_output=True, text=True, check=False)
    except OSError as error:
        raise InspectionError(
            f"cannot run {command[0]} ({error.strerror}); the inspector needs Java (the Flink image has it)"
        ) from None
    if ran.returncode != 0:
        raise InspectionError(ran.stderr.strip() or f"{command[0]} exited with {ran.returncode}")
    return json.loads(ran.stdout)


@dataclass(frozen=True)
class RestoreVerdict:
    restorable: bool
    # Stateful uids of the job with no operator in the checkpoint: each would start without its state.
    missing: list[str]
    # Operators of the checkpoint that hold state but carry no uid of the job: Flink refuses the restore
    # (unless allowNonRestoredState drops their state).
    unmapped_with_state: list[str]
    # Why the stack's Flink line or execution mode cannot restore it (checkpoint_origin.restore_problem), or None.
    runtime_problem: str | None = None

    def as_json(self) -> dict:
        return {
            "restorable": self.restorable,
            "missingUids": self.missing,
            "unmappedOperatorsWithState": self.unmapped_with_state,
            "runtimeProblem": self.runtime_problem,
        }


def restore_verdict(inspection: Mapping, runtime_problem: str | None = None) -> RestoreVerdict:
    """Whether the job as it is now can restore the inspected checkpoint, from the operators it holds and from what
    wrote it (`runtime_problem`)."""
    present = {operator["uid"] for operator in inspection["operators"] if operator["uid"] is not None}
    missing = [uid for uid, _ in STATEFUL_OPERATORS if uid not in present]
    unmapped = [
        operator["operatorId"]
        for operator in inspection["operators"]
        if operator["uid"] is None and operator["stateBytes"] > 0
    ]
    return RestoreVerdict(
        restorable=not missing and not unmapped and runtime_problem is None,
        missing=missing,
        unmapped_with_state=unmapped,
        runtime_problem=runtime_problem,
    )


def _operator_state_summary(operator: Mapping) -> str:
    parts = []
    if operator["keyedStateBytes"]:
        parts.append(f"keyed state {operator['keyedStateBytes']} B")
    if operator["operatorStateNames"]:
        parts.append("operator state " + ", ".join(operator["operatorStateNames"]))
    if operator["coordinatorStateBytes"]:
        parts.append(f"coordinator {operator['coordinatorStateBytes']} B")
    return "; ".join(parts) or "no state"


def _offset_text(offset: int) -> str:
    # KafkaPartitionSplit's markers for a split that has not read anything yet.
    return {-2: "earliest (nothing read yet)", -3: "committed (nothing read yet)", -1: "latest (nothing read yet)"}.get(
        offset, str(offset)
    )


def inspection_lines(inspection: Mapping, provenance: Provenance | None = None) -> list[str]:
    """The inspection for people: what wrote it, operators, source offsets, referenced files, the restore verdict."""
    lines = [
        f"checkpoint {inspection['checkpoint']} (id {inspection['checkpointId']}, _metadata {inspection['metadataBytes']} B)"
    ]
    if provenance is not None:
        lines.append(f"written by {origin_text(provenance.origin)}")
    rows = [("operator uid", "operator id", "parallelism", "state B", "what")]
    described = dict(STATEFUL_OPERATORS)
    for operator in sorted(inspection["operators"], key=lambda o: (o["uid"] is None, o["uid"] or "", o["operatorId"])):
        uid = operator["uid"] if operator["uid"] is not None else "(no uid of the job)"
        what = _operator_state_summary(operator)
        if operator["uid"] in described:
            what = f"{described[operator['uid']]} - {what}"
        rows.append(
            (
                uid,
                operator["operatorId"],
                f"{operator['parallelism']}/{operator['maxParallelism']}",
                str(operator["stateBytes"]),
                what,
            )
        )
    lines += ["  " + line for line in _table_lines(rows)]
    lines.append("Kafka source offsets (the next offset a restored job reads, per partition):")
    for offset in sorted(inspection["sourceOffsets"], key=lambda o: (o["topic"], o["partition"])):
        lines.append(
            f"  {offset['topic']}-{offset['partition']}  {_offset_text(offset['offset'])}  ({offset['uid'] or offset['operatorId']})"
        )
    verdict = restore_verdict(inspection, provenance.problem if provenance else None)
    if not inspection["sourceOffsets"]:
        lines.append(
            f"  none: the checkpoint has no operator with the source's uid {SOURCE_UID!r}"
            if SOURCE_UID in verdict.missing
            else f"  none: the source {SOURCE_UID!r} holds no Kafka split"
        )
    files = inspection["referencedFiles"]
    lines.append(f"files referenced besides _metadata: {len(files)}" + "".join(f"\n  {name}" for name in files))
    if verdict.restorable:
        lines.append(
            f"restore: the job as it is now can restore it: all {len(STATEFUL_OPERATORS)} stateful operator uids are in it"
        )
    else:
        problems = [
            f"uid {uid!r} ({described[uid]}) is not in the checkpoint: it would start empty" for uid in verdict.missing
        ]
        problems += [
            f"operator {operator_id} holds state but has no uid of the job: Flink refuses the restore "
            "unless allowNonRestoredState drops it"
            for operator_id in verdict.unmapped_with_state
        ]
        problems += [verdict.runtime_problem] if verdict.runtime_problem else []
        lines.append(
            "restore: the job as it is now cannot restore it on this stack:"
            + "".join(f"\n  {problem}" for problem in problems)
        )
    return lines


def resolve_checkpoint(checkpoint_dir: str | Storage, named: str) -> str:
    """What the inspector reads for the checkpoint `named`: `latest`, or a chk-N or its _metadata (path, file: or s3:// URI)."""
    storage = open_storage(checkpoint_dir)
    if named == LATEST:
        return storage.inspector_path(latest_checkpoint(storage, "", {}).checkpoint.uri)
    path = storage.inspector_path(named)
    problem = storage.problem(path)
    if problem:
        raise CheckpointSearchError(
            f"checkpoint {named!r}: {path} {problem}; name a chk-<n> folder that has a {METADATA_FILE}, or {LATEST}"
        )
    return path


# --- prune: remove old retained checkpoints, never one still needed ---------------------------------

# checkpoints.py runs in the JobManager's container (npm run checkpoints), where Flink's REST API listens.
DEFAULT_REST_URL = "http://localhost:8081"
REST_TIMEOUT_SECONDS = 10
# Job states from which a job still holds (or will again hold) its sources and the state it restored.
ALIVE_JOB_STATES = frozenset({"INITIALIZING", "CREATED", "RUNNING", "RESTARTING", "RECONCILING"})
# More would keep every checkpoint a job ever wrote; Flink itself retains one by default.
MAX_KEEP = 1000
PROTECT_REASON = "named by --protect (npm run checkpoints passes the stack's restoreFrom)"
LINK_REASON = "prune never follows a link nor removes what it points to; remove the link yourself if nothing needs it"


@dataclass(frozen=True)
class PruneDecision:
    checkpoint: Checkpoint
    remove: bool
    reason: str


def kept_by_retention(checkpoints: Sequence[Checkpoint], keep: int) -> list[Checkpoint]:
    """The complete checkpoints `keep` retains: the `keep` highest numbers of each job folder."""
    if keep < 1:
        raise ValueError(f"--keep must be at least 1 (got {keep}): the newest complete checkpoint is always kept")
    kept: list[Checkpoint] = []
    for job_id in sorted({checkpoint.job_id for checkpoint in checkpoints}):
        complete = sorted(
            (c for c in checkpoints if c.job_id == job_id and c.complete), key=lambda c: c.number, reverse=True
        )
        kept += complete[:keep]
    return kept


def checkpoint_path(reference: str) -> str:
    """The chk-N folder a reference names (file:///x, file:/x as Flink writes them, or a path; or its _metadata)."""
    path = _local_file(reference)
    if os.path.basename(path) == METADATA_FILE:
        path = os.path.dirname(path)
    return os.path.normpath(path)


def prune_plan(
    checkpoints: Sequence[Checkpoint],
    keep: int,
    latest: Checkpoint | None,
    referenced_files: Mapping[str, Sequence[str]],
    storage: str | Storage,
    protected: Mapping[str, str] | None = None,
) -> list[PruneDecision]:
    """What `prune --keep N` does with each chk-N folder in `storage` (a Storage, or the checkpoint volume's path).

    Kept: the N newest complete checkpoints of every job folder, the newest complete one of the latest run
    (`latest`), the `protected` ones (by Storage.checkpoint_key, with why: the stack's restoreFrom, a running job's
    restore source), incomplete ones newer than their folder's newest complete one (a running job may be writing
    them), and any folder holding a file that a kept checkpoint references (`referenced_files`: the files
    each kept checkpoint's _metadata names, by its uri). Everything else is removed. Only chk-N folders are
    ever removed: shared/, taskowned/ and the folders beside the job folders (ha/, jars/, savepoints/) are not considered.
    """
    protected = protected or {}
    storage = open_storage(storage)
    # Each kept checkpoint's place among its folder's complete ones, 0 for the newest.
    kept = {
        checkpoint.uri: sum(
            1 for c in checkpoints if c.job_id == checkpoint.job_id and c.complete and c.number > checkpoint.number
        )
        for checkpoint in kept_by_retention(checkpoints, keep)
    }
    # The checkpoint folders that hold a file some kept checkpoint references, and the first such checkpoint.
    holders: dict[tuple[str, str], str] = {}
    for uri, files in referenced_files.items():
        for reference in files:
            folder = storage.checkpoint_of(reference)
            if folder is not None:
                holders.setdefault(folder, uri)
    decisions = []
    for checkpoint in checkpoints:
        folder = (checkpoint.job_id, f"chk-{checkpoint.number}")
        newest_complete = max(
            (c.number for c in checkpoints if c.job_id == checkpoint.job_id and c.complete), default=None
        )
        protection = protected.get(storage.checkpoint_key(checkpoint.uri))
        if latest is not None and checkpoint.uri == latest.uri:
            decision = PruneDecision(checkpoint, False, "newest complete checkpoint of the latest run")
        elif protection is not None:
            decision = PruneDecision(checkpoint, False, protection)
        elif checkpoint.uri in kept:
            rank = kept[checkpoint.uri]
            decision = PruneDecision(
                checkpoint,
                False,
                "newest complete of its job folder"
                if rank == 0
                else f"complete, no. {rank + 1} of the {keep} newest of its job folder",
            )
        elif folder in holders and holders[folder] != checkpoint.uri:
            decision = PruneDecision(checkpoint, False, f"holds files that the kept {holders[folder]} references")
        elif not checkpoint.complete and (newest_complete is None or checkpoint.number > newest_complete):
            decision = PruneDecision(
                checkpoint,
                False,
                f"{checkpoint.problem} and is newer than any complete one of its folder: a running job may still write it",
            )
        elif checkpoint.complete:
            decision = PruneDecision(checkpoint, True, f"complete, older than the {keep} kept of its job folder")
        else:
            decision = PruneDecision(
                checkpoint, True, f"{checkpoint.problem} and is older than a complete one: never restorable"
            )
        decisions.append(decision)
    return decisions


# --- prune: the restore sources running jobs still need, from the JobManager's REST API --------------


class RestUnavailable(Exception):
    """The JobManager's REST API did not answer what prune asked; the message names the request."""


def _rest_object(rest_url: str, path: str) -> dict:
    url = rest_url + path
    try:
        with urllib.request.urlopen(url, timeout=REST_TIMEOUT_SECONDS) as response:
            answer = json.loads(response.read().decode())
    except urllib.error.HTTPError as error:
        raise RestUnavailable(f"GET {url} answered HTTP {error.code}") from None
    except (OSError, ValueError) as error:  # refused, unreachable, timed out; an answer that is not JSON
        raise RestUnavailable(f"GET {url} failed: {getattr(error, 'reason', None) or error}") from None
    if not isinstance(answer, dict):
        raise RestUnavailable(f"GET {url} answered {json.dumps(answer)[:100]}, not a JSON object")
    return answer


def restore_sources(rest_url: str, key=checkpoint_path) -> dict[str, str]:
    """The checkpoints that running jobs restored from and still need, by `key` (Storage.checkpoint_key), with why.

    A job restored in NO_CLAIM mode reads its source's files until it has completed a checkpoint of its own (the
    first one is a full one); Flink's `latest.restored` names the source, `counts.completed` says whether that
    happened. Raises RestUnavailable when any answer is missing: a partial picture is no ground to remove.
    """
    sources: dict[str, str] = {}
    jobs = _rest_object(rest_url, "/jobs/overview").get("jobs")
    for job in jobs if isinstance(jobs, list) else []:
        if not isinstance(job, dict) or job.get("state") not in ALIVE_JOB_STATES:
            continue
        statistics = _rest_object(rest_url, f"/jobs/{job.get('jid')}/checkpoints")
        latest = statistics.get("latest") if isinstance(statistics.get("latest"), dict) else {}
        counts = statistics.get("counts") if isinstance(statistics.get("counts"), dict) else {}
        restored = latest.get("restored") if isinstance(latest.get("restored"), dict) else {}
        source = restored.get("external_path")
        if isinstance(source, str) and source and not counts.get("completed"):
            sources.setdefault(
                key(source),
                f"restore source of running job {job.get('jid')}, which has completed no checkpoint of its own yet",
            )
    return sources


def sources_without_rest(checkpoints: Sequence[Checkpoint], storage: str | Storage) -> tuple[dict[str, str], str]:
    """What to protect when the REST API cannot say which checkpoints running jobs restored from, and the note.

    A job that has not completed a checkpoint of its own has a job folder without a complete one, and restored
    (if it did) from a checkpoint written before that folder was made; the folder's modification time is no
    earlier than that. So every complete checkpoint written up to the newest such folder's modification time is
    kept; with no such folder, no running job still needs its source.
    """
    storage = open_storage(storage)
    changed: dict[str, float] = {}
    for job_id in storage.job_ids():
        if not any(c.complete for c in checkpoints if c.job_id == job_id):
            time = storage.job_changed_time(job_id)
            if time is not None:  # None: discarded meanwhile, no job runs from it
                changed[job_id] = time
    if not changed:
        return {}, "every job folder has a complete checkpoint of its own, so no running job still needs its source"
    waiting = max(changed, key=lambda job_id: changed[job_id])
    reason = f"written before job folder {waiting} (no complete checkpoint yet) last changed: its job may have restored from it"
    protected = {
        storage.checkpoint_key(c.uri): reason for c in checkpoints if c.complete and c.time <= changed[waiting]
    }
    return protected, f"protecting every complete checkpoint written before {_timestamp(changed[waiting])}"


# --- prune: carrying out the plan, and what happened --------------------------------------------------


@dataclass(frozen=True)
class PruneRow:
    """One line of prune's table: a chk-N folder, or a link that stands for one or for a job folder."""

    job_id: str
    # "chk-N", or "-" for a whole job folder.
    checkpoint: str
    # keep | remove (dry run) | removed | gone (Flink discarded it meanwhile) | refused | failed
    action: str
    size: int | None
    reason: str

    @property
    def as_planned(self) -> bool:
        return self.action not in ("refused", "failed")


@dataclass(frozen=True)
class PruneReport:
    rows: list[PruneRow]
    applied: bool
    # Said under the table: what prune could not find out, and what it did about it.
    notes: list[str]

    @property
    def ok(self) -> bool:
        return all(row.as_planned for row in self.rows)


def remove_checkpoint_folder(root: str, checkpoint: Checkpoint) -> tuple[str, str]:
    """Removes a chk-N folder where prune found it, and only there: (action, why) for the table.

    Between the plan and now, Flink may have discarded the folder (then it is gone, as planned) and someone may
    have replaced it or its job folder by a link: a folder whose real path is not <real root>/<job id>/chk-N is
    refused. shutil.rmtree itself never follows a link inside the folder (and refuses one at the top).
    """
    path = local_path(checkpoint.uri)
    expected = os.path.join(os.path.realpath(root), checkpoint.job_id, f"chk-{checkpoint.number}")
    try:
        if os.path.islink(path):
            return "refused", f"became a symbolic link to {os.readlink(path)} since prune read it; {LINK_REASON}"
        real = os.path.realpath(path)
        if real != expected:
            return "refused", f"its real path is {real}, not {expected}: a link on the way; nothing removed"
        shutil.rmtree(path)
    except FileNotFoundError:
        if not os.path.lexists(path):
            return "gone", "already gone: Flink discarded it while prune ran"
        return "failed", "a file in it vanished while prune removed it, and the folder is still there; run prune again"
    except OSError as error:
        return "failed", f"could not remove it: {error.strerror or error} ({error.filename or path}); run prune again"
    return "removed", ""


def _referenced_files_of_present(
    checkpoints: Sequence[Checkpoint], jar: str, flink_classpath: str, storage: Storage
) -> dict[str, list[str]]:
    """referenced_files of the complete `checkpoints` still there, by uri, from one inspector run (repeated without
    those Flink removed meanwhile)."""
    complete = [checkpoint for checkpoint in checkpoints if checkpoint.complete]
    for _ in range(INSPECTION_ATTEMPTS - 1):
        try:
            return referenced_files(complete, jar, flink_classpath, storage)
        except InspectionError:
            remaining = [c for c in complete if storage.problem(c.uri) is None]
            if len(remaining) == len(complete):
                raise
            complete = remaining
    return referenced_files(complete, jar, flink_classpath, storage)


def prune(
    checkpoint_dir: str | Storage,
    keep: int,
    apply: bool,
    jar: str,
    flink_classpath: str,
    protect: Sequence[str] = (),
    rest_url: str = DEFAULT_REST_URL,
) -> PruneReport:
    """Plans (and with `apply` carries out) `prune --keep N`: see prune_plan. Links are refused, never followed;
    the checkpoints named in `protect` and those running jobs still need (asked of the REST API at `rest_url`) are
    kept, and the files every kept checkpoint references come from the inspector."""
    storage = open_storage(checkpoint_dir)
    links = storage.links()
    checkpoints = scan(storage)
    notes: list[str] = []
    protected = {storage.checkpoint_key(reference): PROTECT_REASON for reference in protect}
    try:
        sources = restore_sources(rest_url, storage.checkpoint_key)
    except RestUnavailable as error:
        sources, what_then = sources_without_rest(checkpoints, storage)
        notes.append(
            f"could not ask the JobManager at {rest_url} which checkpoints its running jobs restored from ({error}): "
            f"{what_then}"
        )
    protected = {**sources, **protected}
    complete = [checkpoint for checkpoint in checkpoints if checkpoint.complete]
    latest = latest_checkpoint(storage, "", {}).checkpoint if complete else None
    kept = kept_by_retention(checkpoints, keep) + [c for c in complete if storage.checkpoint_key(c.uri) in protected]
    unknown_references = None
    try:
        references = _referenced_files_of_present(kept, jar, flink_classpath, storage)
    except InspectionError as error:
        references, unknown_references = {}, str(error).splitlines()[0]
    rows = [
        PruneRow(
            link.job_id, link.checkpoint or "-", "refused", None, f"a symbolic link to {link.target}: {LINK_REASON}"
        )
        for link in links
    ]
    for decision in prune_plan(checkpoints, keep, latest, references, storage, protected):
        checkpoint = decision.checkpoint
        action, reason = ("remove", decision.reason) if decision.remove else ("keep", decision.reason)
        if decision.remove and unknown_references is not None:
            action, reason = (
                "refused",
                f"the checkpoint inspector could not read the kept checkpoints ({unknown_references}), so which "
                "folders they still need is unknown",
            )
        elif decision.remove and apply:
            action, outcome = storage.remove(checkpoint)
            reason = outcome or reason
        rows.append(PruneRow(checkpoint.job_id, f"chk-{checkpoint.number}", action, checkpoint.size, reason))
    # By job id; a link standing for a whole job folder first, then its chk-N, highest first.
    rows.sort(key=lambda row: (row.job_id, row.checkpoint != "-", -int(row.checkpoint[4:] or 0)))
    return PruneReport(rows=rows, applied=apply, notes=notes)


def prune_lines(report: PruneReport) -> list[str]:
    """The table (one row per chk-N folder and per link), what was removed, and the notes."""
    table = [("job id", "checkpoint", "action", "bytes", "why")] + [
        (row.job_id, row.checkpoint, row.action, "-" if row.size is None else str(row.size), row.reason)
        for row in report.rows
    ]
    lines = _table_lines(table)
    removing = [row for row in report.rows if row.action in ("remove", "removed")]
    total = sum(row.size or 0 for row in removing)
    folders = f"{len(removing)} checkpoint folder{'s' if len(removing) != 1 else ''} ({total} bytes)"
    if report.applied:
        gone = sum(1 for row in report.rows if row.action == "gone")
        lines.append(f"removed {folders}" + (f"; {gone} already gone" if gone else ""))
    else:
        lines.append(f"dry run: {folders} would be removed; add --apply to remove them")
    not_planned = [row for row in report.rows if not row.as_planned]
    if not_planned:
        lines.append(
            f"{len(not_planned)} refused or not removed (see why): "
            + ", ".join(
                f"{row.job_id}/{row.checkpoint}" if row.checkpoint != "-" else row.job_id for row in not_planned
            )
        )
    return lines + report.notes


def referenced_files(
    checkpoints: Sequence[Checkpoint], jar: str, flink_classpath: str, storage: Storage
) -> dict[str, list[str]]:
    """The files each checkpoint's _metadata references (besides itself), by uri, from one inspector run."""
    paths = [storage.inspector_path(c.uri) for c in checkpoints]
    inspections = run_inspector(jar, flink_classpath, paths) if checkpoints else []
    return {
        checkpoint.uri: inspection["referencedFiles"]
        for checkpoint, inspection in zip(checkpoints, inspections, strict=False)
    }


# A running job's Flink discards subsumed checkpoints: one listed may be gone when the inspector reads it.
INSPECTION_ATTEMPTS = 3


def sharing_by_checkpoint(
    checkpoints: Sequence[Checkpoint], storage: str | Storage, jar: str, flink_classpath: str
) -> dict[str, Sharing]:
    """Sharing of every complete checkpoint of `checkpoints` that is still there, by uri, from one inspector run
    (repeated without those Flink removed meanwhile)."""
    storage = open_storage(storage)
    referenced = _referenced_files_of_present(checkpoints, jar, flink_classpath, storage)
    return {c.uri: sharing_of(c, referenced[c.uri], storage) for c in checkpoints if c.uri in referenced}


def _formats(text: str) -> dict[str, int]:
    try:
        return parse_formats(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="checkpoints.py", description="List, inspect and prune the retained Flink checkpoints."
    )
    # The options of the checkpoint directory and of the stack's runtime, accepted before the command and after it
    # too, as the stack's listing command puts them.
    stack_options: list[tuple[str, dict]] = [
        (
            "--checkpoint-dir",
            {
                "default": DEFAULT_CHECKPOINT_DIR,
                "help": "execution.checkpointing.dir: a file:// URI (a mounted volume) or an s3:// URI (a bucket)",
            },
        ),
        ("--flink-line", {"help": "the stack's Flink line (flinkVersion), which would restore"}),
        (
            "--checkpoint-formats",
            {
                "type": _formats,
                "default": {},
                "help": "the metadata format each Flink line writes, e.g. 1.20=4,2.2=6 (versions.json's checkpointFormat)",
            },
        ),
        (
            "--python-execution-mode",
            {"choices": EXECUTION_MODES, "help": "the stack's python.execution-mode, which would restore"},
        ),
        ("--s3-endpoint", {"help": "with an s3:// directory: the store's endpoint (Flink's s3.endpoint)"}),
        (
            "--s3-path-style",
            {"choices": ["true", "false"], "default": "true", "help": "path-style requests (s3.path.style.access)"},
        ),
        ("--s3-credentials-file", {"default": DEFAULT_CREDENTIALS_FILE, "help": "AWS credentials file"}),
    ]
    for flag, settings in stack_options:
        parser.add_argument(flag, **settings)
    commands = parser.add_subparsers(dest="command", required=True)
    classpath = argparse.ArgumentParser(add_help=False)
    classpath.add_argument(
        "--flink-classpath", default=DEFAULT_FLINK_CLASSPATH, help="Flink's and the Kafka connector's jars"
    )
    inspector = argparse.ArgumentParser(add_help=False, parents=[classpath])
    inspector.add_argument(
        "--inspector-jar", required=True, help="checkpoint-inspector.jar (tsx setup/cli.ts path inspector <line>)"
    )
    listing = commands.add_parser(
        "list",
        parents=[classpath],
        help="every chk-N per job id: complete or why not, bytes, time, shared incrementally",
    )
    listing.add_argument(
        "--inspector-jar", help="checkpoint-inspector.jar: adds whether each checkpoint shares files incrementally"
    )
    listing.add_argument("--json", action="store_true", help="the listing as JSON")
    inspect = commands.add_parser(
        "inspect", parents=[inspector], help="what a checkpoint holds and whether the job can restore it"
    )
    inspect.add_argument(
        "checkpoint", help=f"a chk-N folder or its _metadata (path, file:// or s3:// URI), or {LATEST}"
    )
    inspect.add_argument("--json", action="store_true", help="the inspection as JSON")
    prune_command = commands.add_parser(
        "prune", parents=[inspector], help="remove old retained checkpoints (dry run unless --apply)"
    )
    prune_command.add_argument(
        "--keep", type=_keep_count, required=True, help=f"complete checkpoints to keep per job folder (1..{MAX_KEEP})"
    )
    prune_command.add_argument(
        "--apply", action="store_true", help="remove them (default: only show what would be removed)"
    )
    prune_command.add_argument(
        "--protect",
        action="append",
        default=[],
        type=_checkpoint_reference,
        metavar="URI",
        help="a chk-N folder (file:// or s3:// URI, or path) never to remove, such as the stack's restoreFrom; repeatable",
    )
    prune_command.add_argument(
        "--rest-url",
        default=None,
        help=f"the JobManager's REST API, asked which checkpoints running jobs restored from (default {DEFAULT_REST_URL})",
    )
    for command in (listing, inspect, prune_command):
        for flag, settings in stack_options:
            given = {key: value for key, value in settings.items() if key not in ("default", "help")}
            command.add_argument(flag, **given, default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    runtime = (
        Runtime(args.flink_line, args.checkpoint_formats, args.python_execution_mode)
        if args.flink_line and args.checkpoint_formats
        else None
    )
    try:
        location = (
            S3Location(args.s3_endpoint, args.s3_path_style == "true", args.s3_credentials_file)
            if args.s3_endpoint
            else None
        )
        storage = open_storage(args.checkpoint_dir, location)
        if args.command == "list":
            checkpoints = scan(storage) + storage.savepoints()
            sharing = (
                sharing_by_checkpoint(checkpoints, storage, args.inspector_jar, args.flink_classpath)
                if args.inspector_jar
                else None
            )
            provenance = {
                c.uri: provenance_of(storage, c.uri, args.checkpoint_formats, runtime)
                for c in checkpoints
                if c.complete
            }
            if args.json:
                print(json.dumps(listing_json(checkpoints, sharing, provenance), indent=2))
            else:
                print(
                    "\n".join(listing_lines(checkpoints, sharing, provenance, runtime))
                    if checkpoints
                    else f"no chk-<n> folder in {storage.describe()}"
                )
        elif args.command == "inspect":
            checkpoint = resolve_checkpoint(storage, args.checkpoint)
            inspection = run_inspector(args.inspector_jar, args.flink_classpath, [checkpoint], source_uid=SOURCE_UID)[0]
            provenance = provenance_of(storage, checkpoint, args.checkpoint_formats, runtime)
            if args.json:
                verdict = restore_verdict(inspection, provenance.problem)
                print(
                    json.dumps(
                        {**inspection, "origin": provenance.origin.as_json(), "restore": verdict.as_json()}, indent=2
                    )
                )
            else:
                print("\n".join(inspection_lines(inspection, provenance)))
        else:
            report = prune(
                storage,
                args.keep,
                args.apply,
                args.inspector_jar,
                args.flink_classpath,
                protect=args.protect,
                rest_url=(args.rest_url or DEFAULT_REST_URL).rstrip("/"),
            )
            print(
                "\n".join(prune_lines(report))
                if report.rows
                else "\n".join([f"no chk-<n> folder in {storage.describe()}", *report.notes])
            )
            return 0 if report.ok else 1
    except (CheckpointSearchError, InspectionError) as error:
        print(f"checkpoints: {error}", file=sys.stderr)
        return 1
    except OSError as error:  # a folder this container may not read, or one that is not what its name says
        print(
            f"checkpoints: cannot read {error.filename or args.checkpoint_dir}: {error.strerror or error}; "
            "is the checkpoint volume mounted and readable by this user (Flink's uid 9999)?",
            file=sys.stderr,
        )
        return 1
    return 0


def _keep_count(text: str) -> int:
    if not re.fullmatch(r"[0-9]+", text) or not 1 <= int(text) <= MAX_KEEP:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not allowed: a whole number from 1 to {MAX_KEEP} (the newest complete checkpoint is always kept)"
        )
    return int(text)


def _checkpoint_reference(text: str) -> str:
    if not text.startswith(("/", "file:", S3_URI_PREFIX)) or any(ord(character) < 32 for character in text):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not allowed: a chk-N folder as a file:// URI or an absolute path on the checkpoint volume, "
            "or an s3:// URI in the bucket"
        )
    return text


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
