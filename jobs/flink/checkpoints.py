#!/usr/bin/env python3
"""The retained checkpoints on the checkpoint volume: which are complete, and which one `latest` means.

    python3 checkpoints.py list [--checkpoint-dir file:///checkpoints_flink]

Flink writes checkpoint n of job <id> into <checkpoint dir>/<id>/chk-<n>/ and writes its `_metadata` last,
when the checkpoint completes. A chk-<n> without `_metadata` (still in progress, aborted, or cut short by a
crash), with an empty one, or with one that does not start with Flink's metadata magic number cannot be
restored from; it is listed as incomplete and never chosen.

`latest` is the newest complete checkpoint of the latest run of a job name: among the job folders that the
cluster does not know as a job of another name, the one whose newest complete checkpoint was written last
(its `_metadata`'s modification time). The cluster's job list (REST /jobs/overview) is only used to exclude
folders of other jobs, never required to name ours: it covers only the jobs since the JobManager started, for
jobstore.expiration-time (1 h by default), and a session cluster without HA forgets every job when the
JobManager restarts; the folders on the volume outlive all of that. Within a folder, the highest n wins.

Standard library only: it runs inside the Flink image (submit.py, `npm run checkpoints`).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import List, Mapping, Optional, Sequence

METADATA_FILE = "_metadata"
# org.apache.flink.runtime.checkpoint.Checkpoints.HEADER_MAGIC_NUMBER, the first four bytes of every _metadata.
METADATA_MAGIC = bytes.fromhex("4960672d")
JOB_ID = re.compile(r"^[0-9a-f]{32}$")
CHECKPOINT_FOLDER = re.compile(r"^chk-(\d+)$")
FILE_URI_PREFIX = "file://"
DEFAULT_CHECKPOINT_DIR = "file:///checkpoints_flink"


class CheckpointSearchError(Exception):
    """No checkpoint could be chosen; the message names the folder searched and what was found."""


@dataclass(frozen=True)
class Checkpoint:
    job_id: str
    number: int
    uri: str
    # Why it cannot be restored from; None when complete.
    problem: Optional[str]
    # Modification time of _metadata (complete) or of the folder (incomplete), seconds since the epoch.
    time: float
    # Bytes of the files in chk-<n>/ (the exclusive state and _metadata).
    size: int

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
            f"checkpoint directory {checkpoint_dir_uri!r} is not a file:/// URI; only a mounted volume can be searched")
    return checkpoint_dir_uri[len(FILE_URI_PREFIX):].rstrip("/") or "/"


def checkpoint_problem(folder: str) -> Optional[str]:
    """Why chk-<n> at `folder` cannot be restored from, or None when its _metadata is there and Flink's."""
    metadata = os.path.join(folder, METADATA_FILE)
    if not os.path.isfile(metadata):
        return f"has no {METADATA_FILE}"
    try:
        with open(metadata, "rb") as stream:
            head = stream.read(len(METADATA_MAGIC))
    except OSError as error:
        return f"has a {METADATA_FILE} that cannot be read ({error.strerror})"
    if not head:
        return f"has an empty {METADATA_FILE}"
    if head != METADATA_MAGIC:
        return f"has a {METADATA_FILE} that is not Flink checkpoint metadata"
    return None


def _folder_size(folder: str) -> int:
    total = 0
    for parent, _, files in os.walk(folder):
        for name in files:
            try:
                total += os.path.getsize(os.path.join(parent, name))
            except OSError:
                pass  # removed while listing: Flink discards subsumed checkpoints
    return total


def scan_job_folder(checkpoint_dir_uri: str, job_id: str) -> List[Checkpoint]:
    """Every chk-<n> of one job folder, highest n first."""
    folder = os.path.join(local_path(checkpoint_dir_uri), job_id)
    found = []
    for name in os.listdir(folder):
        match = CHECKPOINT_FOLDER.match(name)
        path = os.path.join(folder, name)
        if not match or not os.path.isdir(path):
            continue
        problem = checkpoint_problem(path)
        stamped = path if problem else os.path.join(path, METADATA_FILE)
        found.append(Checkpoint(
            job_id=job_id, number=int(match.group(1)), uri=f"{checkpoint_dir_uri.rstrip('/')}/{job_id}/{name}",
            problem=problem, time=os.path.getmtime(stamped), size=_folder_size(path)))
    return sorted(found, key=lambda checkpoint: checkpoint.number, reverse=True)


def job_folders(checkpoint_dir_uri: str) -> List[str]:
    """The job ids that have a folder in the checkpoint directory (other entries are ignored)."""
    root = local_path(checkpoint_dir_uri)
    if not os.path.isdir(root):
        raise CheckpointSearchError(f"{root} does not exist in this container; is the checkpoint volume mounted there?")
    return sorted(name for name in os.listdir(root) if JOB_ID.match(name) and os.path.isdir(os.path.join(root, name)))


def scan(checkpoint_dir_uri: str) -> List[Checkpoint]:
    """Every chk-<n> of every job folder: by job id, then highest n first."""
    return [checkpoint for job_id in job_folders(checkpoint_dir_uri)
            for checkpoint in scan_job_folder(checkpoint_dir_uri, job_id)]


def _timestamp(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def latest_checkpoint(checkpoint_dir_uri: str, job_name: str, cluster_jobs: Mapping[str, str]) -> LatestChoice:
    """The newest complete checkpoint of the latest run of `job_name` (see the module's documentation).

    cluster_jobs maps the job ids the cluster knows to their names (from GET /jobs/overview).
    """
    root = local_path(checkpoint_dir_uri)
    folders = job_folders(checkpoint_dir_uri)
    others = [job_id for job_id in folders if cluster_jobs.get(job_id, job_name) != job_name]
    candidates = []
    for job_id in folders:
        if job_id in others:
            continue
        checkpoints = scan_job_folder(checkpoint_dir_uri, job_id)
        complete = [checkpoint for checkpoint in checkpoints if checkpoint.complete]
        if complete:
            skipped = [checkpoint for checkpoint in checkpoints if checkpoint.number > complete[0].number]
            candidates.append((complete[0], skipped))

    others_note = (f"; {len(others)} folder{'s' if len(others) != 1 else ''} of other jobs skipped "
                   f"({', '.join(f'{job_id} is {cluster_jobs[job_id]!r}' for job_id in others)})" if others else "")
    if not candidates:
        raise CheckpointSearchError(
            f"no complete retained checkpoint (chk-<n> with {METADATA_FILE}) of job {job_name!r} in {root} "
            f"({len(folders)} job folder{'s' if len(folders) != 1 else ''} searched{others_note}); "
            "submit without restoreFrom to start from the earliest offsets, or name a checkpoint or savepoint")

    chosen, skipped = max(candidates, key=lambda candidate: candidate[0].time)
    newest = "newest complete" + "".join(f"; chk-{checkpoint.number} {checkpoint.problem}" for checkpoint in skipped)
    known = (f"known to the cluster as {job_name!r}" if chosen.job_id in cluster_jobs
             else "not known to the cluster (it forgets jobs after an hour or a JobManager restart)")
    run = (f"job {chosen.job_id}, {known}, is the latest run: its {METADATA_FILE} of {_timestamp(chosen.time)} "
           f"is the newest of {len(candidates)} job folder{'s' if len(candidates) != 1 else ''} with a complete checkpoint")
    return LatestChoice(checkpoint=chosen, reason=f"{newest}; {run}{others_note}")


def listing_lines(checkpoints: Sequence[Checkpoint]) -> List[str]:
    """A table of checkpoints: job id, checkpoint, complete or why not, size, time."""
    rows = [("job id", "checkpoint", "complete", "bytes", "time (UTC)")]
    for checkpoint in checkpoints:
        rows.append((checkpoint.job_id, f"chk-{checkpoint.number}",
                     "yes" if checkpoint.complete else f"no: {checkpoint.problem}",
                     str(checkpoint.size), _timestamp(checkpoint.time)))
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]) - 1)]
    return ["  ".join(value.ljust(width) for value, width in zip(row, widths)) + "  " + row[-1] for row in rows]


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="checkpoints.py", description="List the retained Flink checkpoints.")
    parser.add_argument("command", choices=["list"])
    parser.add_argument("--checkpoint-dir", default=DEFAULT_CHECKPOINT_DIR, help="file:// URI of state.checkpoints.dir")
    args = parser.parse_args(argv)
    try:
        checkpoints = scan(args.checkpoint_dir)
    except CheckpointSearchError as error:
        print(f"checkpoints: {error}", file=sys.stderr)
        return 1
    if not checkpoints:
        print(f"no chk-<n> folder in {local_path(args.checkpoint_dir)}")
    else:
        print("\n".join(listing_lines(checkpoints)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
