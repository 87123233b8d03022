"""Which Flink line and which PyFlink execution mode wrote a checkpoint or savepoint, and whether a cluster can
restore it without losing state. Flink checks neither before the job that would restore it is gone:

- The Flink line. `_metadata` starts with Flink's magic number and then the version of the metadata format that
  wrote it (Checkpoints.storeCheckpointMetadata). A line reads every format up to its own; a newer one fails only
  when the new JobMaster starts ("Unrecognized checkpoint version number: 6"). The format each line writes is
  versions.json's `checkpointFormat` (read from a real checkpoint of each line: 1.20 writes 4, 2.2 writes 6); the stack
  passes it here as --checkpoint-formats.
- PyFlink's python.execution-mode. In process mode flink-python keeps a Python operator's keyed state under
  `python-state-<name>` (BeamKeyedStateStore); in thread mode PyFlink's embedded operators register `<name>` itself.
  A restore in the other mode finds none of its window state and starts every open window from zero, without an
  error. Flink's keyed backends write each state's name into the checkpoint's keyed-state meta data
  (KeyedBackendSerializationProxy, DataOutput.writeUTF, never compressed): inline in `_metadata` below the inline
  threshold, else in a file of the chk-N or savepoint folder, for the hashmap and the RocksDB backend alike. So the
  window operator's state name tells the mode that wrote it. A keyed backend also keeps restored state nobody
  registers again: a checkpoint written after a switch of mode holds both names, and cannot tell which one is current.

Standard library only: it runs in the Flink image (checkpoints.py, submit.py).
"""

from __future__ import annotations

import os
import re
import struct
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

METADATA_FILE = "_metadata"
# org.apache.flink.runtime.checkpoint.Checkpoints.HEADER_MAGIC_NUMBER, the first four bytes of every _metadata.
METADATA_MAGIC = bytes.fromhex("4960672d")
# The magic number, the format version (int) and the checkpoint id (long).
HEADER_BYTES = 16

EXECUTION_MODES = ("thread", "process")
# PyFlink's name of a window's contents (pyflink.datastream.data_stream.WINDOW_STATE_NAME), and flink-python's
# prefix of every keyed state of a Python operator in process mode.
WINDOW_STATE = "window-contents"
PROCESS_MODE_PREFIX = "python-state-"
# Both names: the mode was switched at an earlier restore.
BOTH_MODES = "both"

_LINE_FORMAT = re.compile(r"^(\d+\.\d+)=(\d+)$")
_CHUNK = 1 << 20


def _utf_record(name: str) -> bytes:
    """`name` as DataOutput.writeUTF writes it: its length in two bytes, then the (ASCII) text."""
    encoded = name.encode("ascii")
    return struct.pack(">H", len(encoded)) + encoded


THREAD_MODE_RECORD = _utf_record(WINDOW_STATE)
PROCESS_MODE_RECORD = _utf_record(PROCESS_MODE_PREFIX + WINDOW_STATE)


def parse_formats(text: str) -> dict[str, int]:
    """`1.20=4,2.2=6` (a Flink line and the metadata format it writes, per line) as a mapping."""
    formats = {}
    for item in (part.strip() for part in text.split(",")):
        match = _LINE_FORMAT.match(item)
        if not match:
            raise ValueError(
                f"--checkpoint-formats: {item!r} is not <line>=<format> (a Flink line and the metadata format it "
                "writes, e.g. 1.20=4,2.2=6; the stack passes versions.json's)"
            )
        formats[match.group(1)] = int(match.group(2))
    return formats


def header_of(head: bytes) -> tuple[int, int] | None:
    """(metadata format version, checkpoint id) from the first 16 bytes of a _metadata, or None when they are not
    Flink's. Every format from 2 on writes the checkpoint id right after the version."""
    if len(head) < HEADER_BYTES or head[:4] != METADATA_MAGIC:
        return None
    version, checkpoint_id = struct.unpack(">iq", head[4:HEADER_BYTES])
    return version, checkpoint_id


def metadata_header(folder: str) -> tuple[int, int] | None:
    """header_of the _metadata of the checkpoint at `folder` (a local path), or None when it has none."""
    try:
        with open(os.path.join(folder, METADATA_FILE), "rb") as stream:
            return header_of(stream.read(HEADER_BYTES))
    except OSError:
        return None


def local_folder(reference: str) -> str:
    """The folder of a checkpoint or savepoint named as Flink or a user names it: a file:/// or file:/ URI or a path,
    of the folder or of its _metadata."""
    path = "/" + reference[len("file:") :].lstrip("/") if reference.startswith("file:") else reference
    path = path.rstrip("/") or "/"
    return os.path.dirname(path) if os.path.basename(path) == METADATA_FILE else path


MODE_RECORDS = (THREAD_MODE_RECORD, PROCESS_MODE_RECORD)


def records_in(chunks: Iterable[bytes]) -> set[bytes]:
    """Which mode records occur in a file read as `chunks` (scanned with an overlap of a record's length, so a record
    split between two chunks is found)."""
    found: set[bytes] = set()
    overlap = max(len(record) for record in MODE_RECORDS) - 1
    tail = b""
    for chunk in chunks:
        window = tail + chunk
        found.update(record for record in MODE_RECORDS if record in window)
        tail = window[-overlap:]
    return found


def _file_chunks(path: str) -> Iterator[bytes]:
    try:
        with open(path, "rb") as stream:
            while chunk := stream.read(_CHUNK):
                yield chunk
    except OSError:
        return  # removed while reading: Flink discards subsumed checkpoints


def mode_of(found: set[bytes]) -> str | None:
    """The python.execution-mode the mode records found in a checkpoint's files say: thread, process, BOTH_MODES
    (switched at an earlier restore), or None when it holds no window state (no visit was read yet)."""
    if found == {THREAD_MODE_RECORD}:
        return "thread"
    if found == {PROCESS_MODE_RECORD}:
        return "process"
    return BOTH_MODES if found else None


def execution_mode(folder: str) -> str | None:
    """mode_of the files of the checkpoint at `folder` (a local path)."""
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return None
    found: set[bytes] = set()
    for name in names:
        path = os.path.join(folder, name)
        if os.path.isfile(path) and not os.path.islink(path):
            found |= records_in(_file_chunks(path))
    return mode_of(found)


@dataclass(frozen=True)
class Origin:
    """What wrote a checkpoint: its metadata format, the lines that write that format, the execution mode."""

    format: int | None
    lines: tuple[str, ...]
    mode: str | None

    def as_json(self) -> dict:
        return {"metadataFormat": self.format, "flinkLines": list(self.lines), "pythonExecutionMode": self.mode}


def origin_from(header: tuple[int, int] | None, mode: str | None, formats: Mapping[str, int]) -> Origin:
    """The origin a checkpoint's _metadata header and window state's mode say, wherever they were read."""
    version = header[0] if header else None
    return Origin(
        format=version, lines=tuple(line for line, written in formats.items() if written == version), mode=mode
    )


def origin_of(folder: str, formats: Mapping[str, int]) -> Origin:
    """The origin of the checkpoint or savepoint at `folder` (a local path)."""
    return origin_from(metadata_header(folder), execution_mode(folder), formats)


def _lines_text(origin: Origin) -> str:
    if origin.format is None:
        return "an unknown Flink (no metadata format)"
    if origin.lines:
        return f"Flink {' or '.join(origin.lines)} (metadata format {origin.format})"
    return f"a Flink line this stack does not know (metadata format {origin.format})"


def origin_short(origin: Origin) -> str:
    """A few words for a table, e.g. `1.20 thread`."""
    line = "?" if origin.format is None else "/".join(origin.lines) if origin.lines else f"format {origin.format}"
    return f"{line} {origin.mode or 'no window state'}" if origin.mode != BOTH_MODES else f"{line} both modes"


def origin_text(origin: Origin) -> str:
    """One line for people, e.g. `Flink 1.20 (metadata format 4), thread mode`."""
    mode = {
        None: "execution mode unknown (no window state yet)",
        BOTH_MODES: "thread and process mode (switched at an earlier restore)",
    }.get(origin.mode, f"{origin.mode} mode")
    return f"{_lines_text(origin)}, {mode}"


@dataclass(frozen=True)
class Runtime:
    """The cluster that would restore: its Flink line, the format each line writes, its python.execution-mode."""

    line: str
    formats: Mapping[str, int]
    # None: not known here (the check of the mode is left out).
    mode: str | None


@dataclass(frozen=True)
class RestoreProblem:
    # A few words for a table ("written by Flink 2.2"), and the whole story with what to do instead.
    reason: str
    message: str


def restore_problem(origin: Origin, runtime: Runtime) -> RestoreProblem | None:
    """Why `runtime` cannot restore a checkpoint of `origin` without failing or losing state, and what to do
    instead; None when nothing known stands in the way (a mode switched earlier is no reason: see execution_mode)."""
    readable = runtime.formats.get(runtime.line)
    if origin.format is not None and readable is not None and origin.format > readable:
        writer = " or ".join(origin.lines) or f"of a newer line (metadata format {origin.format})"
        return RestoreProblem(
            reason=f"written by Flink {writer}, newer than {runtime.line}",
            message=(
                f"it was written by Flink {writer}, and this stack runs Flink {runtime.line}, which reads checkpoint "
                f'metadata up to format {readable}: Flink {runtime.line} would fail the job with "Unrecognized '
                f'checkpoint version number: {origin.format}". Flink does not go back a line. Instead: run Flink '
                f"{origin.lines[0] if origin.lines else 'of that line'} again (flinkVersion) to restore it, or restore "
                f"a checkpoint or savepoint written by Flink {runtime.line}, or start without restoreFrom (from the "
                "earliest offsets: the output starts again from the beginning)"
            ),
        )
    if runtime.mode is not None and origin.mode in EXECUTION_MODES and origin.mode != runtime.mode:
        ours = PROCESS_MODE_PREFIX + WINDOW_STATE if runtime.mode == "process" else WINDOW_STATE
        theirs = PROCESS_MODE_PREFIX + WINDOW_STATE if origin.mode == "process" else WINDOW_STATE
        return RestoreProblem(
            reason=f"written in {origin.mode} mode, this stack runs {runtime.mode}",
            message=(
                f"it was written with python.execution-mode {origin.mode} (its window state is named {theirs!r}), and "
                f"this stack runs {runtime.mode}, whose window operator looks for {ours!r}: the job would run, but "
                "every window open at the checkpoint would start again from zero, without an error (duplicate and "
                f"missing firings). Instead: restore it with pythonExecutionMode {origin.mode}, or start without "
                "restoreFrom"
            ),
        )
    return None
