import json
import os
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

import pytest
from checkpoints import (
    JOB_ID,
    METADATA_MAGIC,
    SOURCE_UID,
    STATEFUL_OPERATORS,
    CheckpointSearchError,
    InspectionError,
    checkpoint_problem,
    inspection_lines,
    inspector_command,
    kept_by_retention,
    latest_checkpoint,
    listing_json,
    listing_lines,
    local_path,
    main,
    prune_plan,
    resolve_checkpoint,
    restore_verdict,
    scan,
    sharing_by_checkpoint,
    sharing_of,
)

OURS = "visit-windows"
JOB_A = "a" * 32
JOB_B = "b" * 32
JOB_OTHER = "0123456789abcdef0123456789abcdef"


def make_checkpoint(root, job_id, number, metadata=METADATA_MAGIC + b"\x00\x00\x00\x03state", mtime=None, state=b""):
    """A chk-<n> folder as Flink leaves it: optional state file, _metadata written last (None: none yet)."""
    folder = root / job_id / f"chk-{number}"
    folder.mkdir(parents=True)
    if state:
        (folder / "state-file").write_bytes(state)
    if metadata is not None:
        (folder / "_metadata").write_bytes(metadata)
        if mtime is not None:
            os.utime(folder / "_metadata", (mtime, mtime))
    return folder


def uri(root):
    return f"file://{root}"


def cell(lines: Sequence[str], row: int, header: str) -> str:
    """The text of a table's `row` under the column `header` (columns are padded to start where their header does)."""
    start = lines[0].index(header)
    after = lines[0][start + len(header) :]
    width = len(after) - len(after.lstrip()) + len(header) if after.strip() else None
    return lines[row][start : start + width if width else None].strip()


def test_the_highest_complete_checkpoint_wins_and_newer_incomplete_ones_are_named(root):
    make_checkpoint(root, JOB_A, 6, mtime=1000)
    make_checkpoint(root, JOB_A, 7, mtime=1020)
    make_checkpoint(root, JOB_A, 8, metadata=None)  # in progress or aborted
    make_checkpoint(root, JOB_A, 9, metadata=b"")  # cut short by a crash
    make_checkpoint(root, JOB_A, 10, metadata=b"garbage!")  # not Flink's
    (root / JOB_A / "shared").mkdir()
    (root / JOB_A / "taskowned").mkdir()

    choice = latest_checkpoint(uri(root), OURS, {})

    assert choice.checkpoint.uri == f"file://{root}/{JOB_A}/chk-7"
    assert choice.reason.startswith(
        "newest complete; chk-10 has a _metadata that is not Flink checkpoint metadata; "
        "chk-9 has an empty _metadata; chk-8 has no _metadata; "
        f"job {JOB_A}, not known to the cluster"
    )


def test_an_empty_chk_folder_of_the_newest_run_is_skipped(root):
    make_checkpoint(root, JOB_A, 3, mtime=1000)
    make_checkpoint(root, JOB_A, 99, metadata=None)
    assert latest_checkpoint(uri(root), OURS, {}).checkpoint.number == 3


def test_the_latest_run_is_the_folder_whose_newest_complete_checkpoint_was_written_last(root):
    # Run A: higher checkpoint numbers but older. Run B restored from it and checkpointed later.
    make_checkpoint(root, JOB_A, 40, mtime=1000)
    make_checkpoint(root, JOB_B, 5, mtime=2000)
    make_checkpoint(root, JOB_B, 6, metadata=None)

    choice = latest_checkpoint(uri(root), OURS, {JOB_B: OURS})

    assert choice.checkpoint.uri == f"file://{root}/{JOB_B}/chk-5"
    assert (
        f"job {JOB_B}, known to the cluster as 'visit-windows', is the latest run: "
        "its _metadata of 1970-01-01T00:33:20Z is the newest of 2 job folders with a complete checkpoint"
    ) in choice.reason
    assert "chk-6 has no _metadata" in choice.reason


def test_a_run_that_never_completed_a_checkpoint_falls_back_to_the_run_before(root):
    make_checkpoint(root, JOB_A, 4, mtime=1000)
    make_checkpoint(root, JOB_B, 5, metadata=None)  # the restored run was cancelled before its first checkpoint
    assert latest_checkpoint(uri(root), OURS, {JOB_A: OURS, JOB_B: OURS}).checkpoint.job_id == JOB_A


def test_folders_the_cluster_knows_as_another_job_are_skipped(root):
    make_checkpoint(root, JOB_A, 2, mtime=1000)
    make_checkpoint(root, JOB_OTHER, 9, mtime=5000)

    choice = latest_checkpoint(uri(root), OURS, {JOB_OTHER: "other-job"})

    assert choice.checkpoint.job_id == JOB_A
    assert f"1 folder of other jobs skipped ({JOB_OTHER} is 'other-job')" in choice.reason


def test_entries_that_are_not_job_folders_are_ignored(root):
    make_checkpoint(root, JOB_A, 1, mtime=1000)
    (root / "savepoint-1234-abcdef").mkdir()
    (root / "README").write_text("not a job")
    (root / JOB_B).write_text("a file named like a job id")
    assert [c.job_id for c in scan(uri(root))] == [JOB_A]


def test_no_complete_checkpoint_names_the_folder_searched(root):
    make_checkpoint(root, JOB_A, 1, metadata=None)
    make_checkpoint(root, JOB_OTHER, 2)
    with pytest.raises(CheckpointSearchError) as error:
        latest_checkpoint(uri(root), OURS, {JOB_OTHER: "other-job"})
    message = str(error.value)
    assert f"no complete retained checkpoint (chk-<n> with _metadata) of job 'visit-windows' in {root}" in message
    assert "2 job folders searched; 1 folder of other jobs skipped" in message


def test_an_empty_checkpoint_directory_is_an_error_too(root):
    with pytest.raises(CheckpointSearchError, match=f"in {root} \\(0 job folders searched\\)"):
        latest_checkpoint(uri(root), OURS, {})


def test_a_missing_mount_or_a_non_file_uri_is_named(tmp_path):
    with pytest.raises(
        CheckpointSearchError, match="does not exist in this container; is the checkpoint volume mounted"
    ):
        latest_checkpoint(f"file://{tmp_path}/nowhere", OURS, {})
    with pytest.raises(CheckpointSearchError, match="is not a file:/// URI"):
        local_path("s3://bucket/checkpoints")
    assert local_path("file:///checkpoints_flink/") == "/checkpoints_flink"


def test_the_listing_shows_every_checkpoint_with_completeness_size_and_time(root):
    make_checkpoint(root, JOB_A, 7, mtime=0, state=b"x" * 100)
    make_checkpoint(root, JOB_A, 8, metadata=None)
    lines = listing_lines(scan(uri(root)))
    assert lines[0].split() == ["job", "id", "checkpoint", "complete", "bytes", "time", "(UTC)"]
    assert lines[1].split()[:3] == [JOB_A, "chk-8", "no:"]
    assert lines[2].split() == [JOB_A, "chk-7", "yes", str(100 + len(METADATA_MAGIC) + 9), "1970-01-01T00:00:00Z"]


def test_the_listing_says_which_checkpoints_share_files_incrementally_and_which_of_those_are_gone(root):
    # As RocksDB's incremental checkpoints leave them: SST files in the job's shared/, each checkpoint's own files in
    # its chk-N; chk-3 still references one file that chk-2 uploaded and another someone removed.
    full = make_checkpoint(root, JOB_A, 1, mtime=100, state=b"x" * 10)
    make_checkpoint(root, JOB_A, 2, mtime=200, state=b"y" * 20)
    make_checkpoint(root, JOB_A, 3, mtime=300)
    make_checkpoint(root, JOB_A, 4, metadata=None)
    (root / JOB_A / "shared").mkdir()
    (root / JOB_A / "shared" / "000011.sst").write_bytes(b"s" * 1000)
    (root / JOB_A / "shared" / "000012.sst").write_bytes(b"s" * 500)
    checkpoints = scan(uri(root))
    by_number = {c.number: c for c in checkpoints}
    references = {
        1: [f"file:{full}/state-file"],
        2: [f"file:{root}/{JOB_A}/shared/000011.sst", f"{root}/{JOB_A}/shared/000012.sst"],
        3: [
            f"file:{root}/{JOB_A}/shared/000011.sst",
            f"file:{root}/{JOB_A}/chk-2/state-file",
            f"file:{root}/{JOB_A}/shared/000013.sst",
        ],
    }
    sharing = {by_number[n].uri: sharing_of(by_number[n], files, str(root)) for n, files in references.items()}

    lines = listing_lines(checkpoints, sharing)

    assert lines[0].endswith("time (UTC)            shared incrementally")
    rows = {line.split()[1]: line.split("Z  ", 1)[1] for line in lines[1:]}
    assert rows == {
        "chk-4": "-",
        "chk-3": f"yes: 3 files (1020 bytes) in {JOB_A}/chk-2, {JOB_A}/shared, 1 MISSING: cannot be restored from",
        "chk-2": f"yes: 2 files (1500 bytes) in {JOB_A}/shared",
        "chk-1": "no",
    }
    as_json = {entry["checkpoint"]: entry for entry in listing_json(checkpoints, sharing)}
    assert as_json[3]["sharing"] == {
        "files": 3,
        "bytes": 1020,
        "missing": 1,
        "places": [f"{JOB_A}/chk-2", f"{JOB_A}/shared"],
    }
    assert as_json[1]["sharing"] == {"files": 0, "bytes": 0, "missing": 0, "places": []}
    assert as_json[4] == {
        "jobId": JOB_A,
        "checkpoint": 4,
        "uri": by_number[4].uri,
        "complete": False,
        "problem": "has no _metadata",
        "bytes": by_number[4].size,
        "time": as_json[4]["time"],
        "sharing": None,
    }


def test_a_checkpoint_flink_removes_while_listing_is_left_out_of_the_inspection(root, monkeypatch):
    make_checkpoint(root, JOB_A, 1, mtime=100)
    subsumed = make_checkpoint(root, JOB_A, 2, mtime=200)
    make_checkpoint(root, JOB_A, 3, mtime=300)
    checkpoints = scan(uri(root))
    inspected = []

    def inspector(jar, classpath, paths):
        inspected.append(len(paths))
        if len(inspected) == 1:
            shutil.rmtree(subsumed)  # what Flink does to a subsumed checkpoint, while the JVM starts
            raise InspectionError(f"cannot read checkpoint {subsumed}: {subsumed} has no _metadata")
        return [{"referencedFiles": []} for _ in paths]

    monkeypatch.setattr("checkpoints.run_inspector", inspector)

    sharing = sharing_by_checkpoint(checkpoints, str(root), "unused.jar", "")

    assert inspected == [3, 2]
    assert sorted(sharing) == sorted(c.uri for c in checkpoints if c.number != 2)
    assert listing_lines(checkpoints, sharing)[2].endswith("  -")


def test_an_inspector_failure_with_every_checkpoint_still_there_is_not_retried(root, monkeypatch):
    make_checkpoint(root, JOB_A, 1, mtime=100)
    calls = []

    def broken(jar, classpath, paths):
        calls.append(paths)
        raise InspectionError("java exited with 1")

    monkeypatch.setattr("checkpoints.run_inspector", broken)

    with pytest.raises(InspectionError, match="java exited with 1"):
        sharing_by_checkpoint(scan(uri(root)), str(root), "unused.jar", "")
    assert len(calls) == 1


def test_list_without_the_inspector_has_no_sharing_column_and_with_it_asks_the_inspector(root, capsys, monkeypatch):
    make_checkpoint(root, JOB_A, 1, mtime=100)
    assert main(["list", "--checkpoint-dir", uri(root)]) == 0
    assert "shared incrementally" not in capsys.readouterr().out
    monkeypatch.setattr(
        "checkpoints.run_inspector", lambda jar, classpath, paths: [{"referencedFiles": []} for _ in paths]
    )
    assert main(["list", "--checkpoint-dir", uri(root), "--inspector-jar", "unused.jar"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert cell(out, 1, "shared incrementally") == "no"


# --- inspect ----------------------------------------------------------------------------------------


def operator(uid, operator_id, state_bytes=0, **fields):
    return {
        "operatorId": operator_id,
        "uid": uid,
        "parallelism": 2,
        "maxParallelism": 128,
        "stateBytes": state_bytes,
        "coordinatorStateBytes": 0,
        "subtasksWithState": 0,
        "keyedStateBytes": 0,
        "operatorStateNames": [],
        **fields,
    }


def inspection(operators, offsets=()):
    return {
        "checkpoint": "file:/checkpoints_flink/j/chk-7",
        "checkpointId": 7,
        "metadataBytes": 4242,
        "operators": operators,
        "sourceOffsets": list(offsets),
        "referencedFiles": [],
    }


ALL_STATEFUL = [operator(uid, f"{index:032x}", 10) for index, (uid, _) in enumerate(STATEFUL_OPERATORS)]


def test_a_checkpoint_holding_every_stateful_uid_of_the_job_is_restorable():
    verdict = restore_verdict(inspection(ALL_STATEFUL + [operator(None, "f" * 32)]))
    assert verdict.restorable and verdict.missing == [] and verdict.unmapped_with_state == []


def test_a_missing_uid_and_state_of_an_unknown_operator_are_named():
    operators = [o for o in ALL_STATEFUL if o["uid"] != "visit-windows"] + [operator(None, "e" * 32, state_bytes=5)]
    verdict = restore_verdict(inspection(operators))
    assert not verdict.restorable
    assert verdict.missing == ["visit-windows"]
    assert verdict.unmapped_with_state == ["e" * 32]
    text = "\n".join(inspection_lines(inspection(operators)))
    assert (
        "uid 'visit-windows' (windows: the visits of every open window) is not in the checkpoint: it would start empty"
        in text
    )
    assert f"operator {'e' * 32} holds state but has no uid of the job: Flink refuses the restore" in text


def test_the_inspection_shows_operators_and_offsets_per_partition():
    source = operator(
        "visits-source", "a" * 32, 300, operatorStateNames=["SourceReaderState"], coordinatorStateBytes=120
    )
    offsets = [
        {"operatorId": "a" * 32, "uid": "visits-source", "topic": "visits", "partition": 1, "offset": 57},
        {"operatorId": "a" * 32, "uid": "visits-source", "topic": "visits", "partition": 0, "offset": -2},
    ]
    lines = inspection_lines(inspection([source] + ALL_STATEFUL[1:], offsets))
    assert lines[0] == "checkpoint file:/checkpoints_flink/j/chk-7 (id 7, _metadata 4242 B)"
    assert any(
        line.split()[:4] == ["visits-source", "a" * 32, "2/128", "300"]
        and line.endswith("operator state SourceReaderState; coordinator 120 B")
        for line in lines
    )
    at = lines.index("Kafka source offsets (the next offset a restored job reads, per partition):")
    assert lines[at + 1 : at + 3] == [
        "  visits-0  earliest (nothing read yet)  (visits-source)",
        "  visits-1  57  (visits-source)",
    ]
    assert (
        lines[-1]
        == f"restore: the job as it is now can restore it: all {len(STATEFUL_OPERATORS)} stateful operator uids are in it"
    )


def test_a_checkpoint_without_the_source_uid_says_so_instead_of_offsets():
    def line_after_offsets_heading(operators):
        lines = inspection_lines(inspection(operators))
        return lines[
            lines.index("Kafka source offsets (the next offset a restored job reads, per partition):") + 1
        ], lines

    first, lines = line_after_offsets_heading([o for o in ALL_STATEFUL if o["uid"] != SOURCE_UID])
    assert first == f"  none: the checkpoint has no operator with the source's uid {SOURCE_UID!r}"
    assert (
        f"uid {SOURCE_UID!r} (Kafka source: the partitions' offsets) is not in the checkpoint: it would start empty"
        in "\n".join(lines)
    )
    assert line_after_offsets_heading(ALL_STATEFUL)[0] == f"  none: the source {SOURCE_UID!r} holds no Kafka split"


def test_a_checkpoint_is_named_by_folder_metadata_uri_or_latest(root):
    make_checkpoint(root, JOB_A, 3, mtime=1000)
    make_checkpoint(root, JOB_A, 4, metadata=None)
    folder = f"{root}/{JOB_A}/chk-3"
    assert resolve_checkpoint(uri(root), "latest") == folder
    assert resolve_checkpoint(uri(root), f"file://{folder}/") == folder
    assert resolve_checkpoint(uri(root), f"file:{folder}/_metadata") == folder
    with pytest.raises(
        CheckpointSearchError, match="chk-4 has no _metadata; name a chk-<n> folder that has a _metadata, or latest"
    ):
        resolve_checkpoint(uri(root), f"{root}/{JOB_A}/chk-4")
    with pytest.raises(CheckpointSearchError, match="chk-9 does not exist"):
        resolve_checkpoint(uri(root), f"{root}/{JOB_A}/chk-9")


def test_inspect_without_the_inspector_jar_says_how_to_get_it(root, capsys):
    make_checkpoint(root, JOB_A, 3)
    assert main(["inspect", "latest", "--checkpoint-dir", uri(root), "--inspector-jar", str(root / "none.jar")]) == 1
    assert "build it with `tsx setup/cli.ts path inspector <line>`" in capsys.readouterr().err


# --- prune ------------------------------------------------------------------------------------------


def decisions_by_folder(decisions):
    return {
        f"{d.checkpoint.job_id[:1]}/chk-{d.checkpoint.number}": ("remove" if d.remove else "keep", d.reason)
        for d in decisions
    }


def test_prune_keeps_the_newest_complete_per_folder_and_removes_the_rest(root):
    for number, mtime in ((3, 100), (4, 200), (5, 300)):
        make_checkpoint(root, JOB_A, number, mtime=mtime)
    make_checkpoint(root, JOB_A, 2, metadata=None)  # aborted long ago
    make_checkpoint(root, JOB_A, 6, metadata=None)  # may be in progress
    make_checkpoint(root, JOB_B, 1, mtime=400)  # the latest run
    checkpoints = scan(uri(root))
    latest = latest_checkpoint(uri(root), OURS, {}).checkpoint

    plan = decisions_by_folder(prune_plan(checkpoints, 1, latest, {}, str(root)))

    assert plan == {
        "a/chk-6": (
            "keep",
            "has no _metadata and is newer than any complete one of its folder: a running job may still write it",
        ),
        "a/chk-5": ("keep", "newest complete of its job folder"),
        "a/chk-4": ("remove", "complete, older than the 1 kept of its job folder"),
        "a/chk-3": ("remove", "complete, older than the 1 kept of its job folder"),
        "a/chk-2": ("remove", "has no _metadata and is older than a complete one: never restorable"),
        "b/chk-1": ("keep", "newest complete checkpoint of the latest run"),
    }
    assert decisions_by_folder(prune_plan(checkpoints, 2, latest, {}, str(root)))["a/chk-4"] == (
        "keep",
        "complete, no. 2 of the 2 newest of its job folder",
    )


def test_prune_keeps_a_folder_that_a_kept_checkpoint_still_references(root):
    make_checkpoint(root, JOB_A, 3, mtime=100, state=b"x")
    make_checkpoint(root, JOB_A, 4, mtime=200)
    checkpoints = scan(uri(root))
    kept = kept_by_retention(checkpoints, 1)
    assert [c.number for c in kept] == [4]
    referenced = {kept[0].uri: [f"file:{root}/{JOB_A}/chk-3/state-file", f"file:{root}/{JOB_A}/shared/abc"]}

    plan = decisions_by_folder(prune_plan(checkpoints, 1, kept[0], referenced, str(root)))

    assert plan["a/chk-3"] == ("keep", f"holds files that the kept {kept[0].uri} references")


def test_prune_refuses_to_keep_none():
    with pytest.raises(ValueError, match="--keep must be at least 1 \\(got 0\\)"):
        kept_by_retention([], 0)


def test_prune_applies_only_with_apply_and_never_touches_other_folders(root, capsys, monkeypatch, flink):
    make_checkpoint(root, JOB_A, 1, mtime=100)
    make_checkpoint(root, JOB_A, 2, mtime=200)
    for other in ("ha", "jars", f"{JOB_A}/shared", f"{JOB_A}/taskowned"):
        (root / other).mkdir(parents=True, exist_ok=True)
    # A complete savepoint where execution.checkpointing.savepoint-dir puts them: not a job folder's chk-N, so never pruned.
    savepoint = root / "savepoints" / "savepoint-1234-abcdef"
    savepoint.mkdir(parents=True)
    (savepoint / "_metadata").write_bytes((root / JOB_A / "chk-1" / "_metadata").read_bytes())
    # The kept checkpoint's files, as the inspector would list them: none besides its _metadata.
    monkeypatch.setattr(
        "checkpoints.run_inspector", lambda jar, classpath, paths: [{"referencedFiles": []} for _ in paths]
    )
    arguments = ["prune", "--keep", "1", "--checkpoint-dir", uri(root), "--inspector-jar", "unused.jar"]

    assert main(arguments) == 0
    assert "dry run: 1 checkpoint folder" in capsys.readouterr().out
    assert (root / JOB_A / "chk-1").is_dir()

    assert main(arguments + ["--apply"]) == 0
    assert "removed 1 checkpoint folder" in capsys.readouterr().out
    assert not (root / JOB_A / "chk-1").exists()
    assert all(
        (root / other).is_dir() for other in ("ha", "jars", f"{JOB_A}/shared", f"{JOB_A}/taskowned", f"{JOB_A}/chk-2")
    )
    assert (savepoint / "_metadata").is_file()


# --- prune on trees that links, races and restore sources make dangerous -----------------------------


def tree_snapshot(folder: Path) -> dict[str, bytes | str]:
    """Every entry under `folder` (links not followed): a file's bytes, a link's target, "dir" for a folder."""
    entries: dict[str, bytes | str] = {}
    for parent, folders, files in os.walk(folder):
        for name in folders + files:
            path = Path(parent) / name
            relative = str(path.relative_to(folder))
            if path.is_symlink():
                entries[relative] = f"-> {os.readlink(path)}"
            elif path.is_dir():
                entries[relative] = "dir"
            else:
                entries[relative] = path.read_bytes()
    return entries


def prune_rows(out: str) -> dict[str, tuple[str, str]]:
    """The prune table's rows by "<job id's first letter>/<checkpoint>": (action, why)."""
    rows = {}
    for line in out.splitlines()[1:]:
        columns = line.split(None, 4)
        if len(columns) == 5 and JOB_ID.match(columns[0]):
            rows[f"{columns[0][:1]}/{columns[1]}"] = (columns[2], columns[4].strip())
    return rows


def prune_arguments(root: Path, *more: str) -> list[str]:
    return ["prune", "--keep", "1", "--checkpoint-dir", uri(root), "--inspector-jar", "unused.jar", *more]


def test_prune_refuses_a_job_folder_that_links_out_of_the_root_and_removes_nothing_there(
    root, tmp_path, capsys, flink, no_inspector
):
    make_checkpoint(root, JOB_A, 1, mtime=100)
    make_checkpoint(root, JOB_A, 2, mtime=200)
    # Someone's folder elsewhere, shaped like a job folder, linked into the checkpoint directory under a job id.
    elsewhere = tmp_path / "elsewhere"
    make_checkpoint(elsewhere, "data", 1, mtime=100, state=b"not Flink's to lose")
    make_checkpoint(elsewhere, "data", 2, mtime=300)
    (root / JOB_B).symlink_to(elsewhere / "data")
    before = tree_snapshot(elsewhere)

    code = main(prune_arguments(root, "--apply"))

    assert tree_snapshot(elsewhere) == before
    assert not (root / JOB_A / "chk-1").exists() and (root / JOB_A / "chk-2").is_dir()
    out = capsys.readouterr().out
    action, why = prune_rows(out)["b/-"]
    assert action == "refused"
    assert why.startswith(f"a symbolic link to {elsewhere / 'data'}: prune never follows a link")
    assert code == 1


def test_prune_refuses_a_chk_folder_that_is_a_link_and_carries_on_with_the_others(
    root, tmp_path, capsys, flink, no_inspector
):
    for number in (1, 3, 4):
        make_checkpoint(root, JOB_A, number, mtime=100 * number)
    elsewhere = make_checkpoint(tmp_path / "elsewhere", JOB_B, 9, mtime=200, state=b"a checkpoint kept elsewhere")
    (root / JOB_A / "chk-2").symlink_to(elsewhere)
    before = tree_snapshot(tmp_path / "elsewhere")

    code = main(prune_arguments(root, "--apply"))

    assert tree_snapshot(tmp_path / "elsewhere") == before
    assert (root / JOB_A / "chk-2").is_symlink()
    assert not (root / JOB_A / "chk-1").exists() and not (root / JOB_A / "chk-3").exists()
    rows = prune_rows(capsys.readouterr().out)
    assert rows["a/chk-2"][0] == "refused" and rows["a/chk-2"][1].startswith(f"a symbolic link to {elsewhere}")
    assert rows["a/chk-1"][0] == rows["a/chk-3"][0] == "removed"
    assert rows["a/chk-4"][0] == "keep"
    assert code == 1


def test_prune_takes_a_folder_flink_discards_while_it_removes_as_already_gone(
    root, capsys, monkeypatch, flink, no_inspector
):
    for number in (1, 2, 3):
        make_checkpoint(root, JOB_A, number, mtime=100 * number)
    real_rmtree = shutil.rmtree

    def rmtree_while_flink_discards_chk_1(path, *args, **kwargs):
        if os.path.basename(path) == "chk-2" and (root / JOB_A / "chk-1").exists():
            real_rmtree(root / JOB_A / "chk-1")  # Flink subsumes it between prune's plan and its removal
        real_rmtree(path, *args, **kwargs)

    monkeypatch.setattr("checkpoints.shutil.rmtree", rmtree_while_flink_discards_chk_1)

    code = main(prune_arguments(root, "--apply"))

    rows = prune_rows(capsys.readouterr().out)
    assert rows["a/chk-2"][0] == "removed"
    assert rows["a/chk-1"] == ("gone", "already gone: Flink discarded it while prune ran")
    assert rows["a/chk-3"][0] == "keep"
    assert code == 0


def test_prune_leaves_out_a_folder_flink_discards_while_prune_reads_the_tree(
    root, capsys, monkeypatch, flink, no_inspector
):
    for number in (1, 2, 3):
        make_checkpoint(root, JOB_A, number, mtime=100 * number)
    real_problem = checkpoint_problem

    def problem_while_flink_discards(folder):
        if os.path.basename(folder) == "chk-1":
            shutil.rmtree(folder)  # gone between the folder listing and the look at its _metadata
        return real_problem(folder)

    monkeypatch.setattr("checkpoints.checkpoint_problem", problem_while_flink_discards)

    code = main(prune_arguments(root, "--apply"))

    rows = prune_rows(capsys.readouterr().out)
    assert rows["a/chk-2"][0] == "removed" and rows["a/chk-3"][0] == "keep"
    assert code == 0


def test_prune_keeps_the_checkpoint_the_stack_s_restore_from_names(root, capsys, flink, no_inspector):
    for number in (1, 2, 3):
        make_checkpoint(root, JOB_A, number, mtime=100 * number)

    code = main(prune_arguments(root, "--apply", "--protect", f"file://{root}/{JOB_A}/chk-1"))

    assert (root / JOB_A / "chk-1").is_dir() and not (root / JOB_A / "chk-2").exists()
    rows = prune_rows(capsys.readouterr().out)
    assert rows["a/chk-1"] == ("keep", "named by --protect (npm run checkpoints passes the stack's restoreFrom)")
    assert code == 0


def restored_job(flink, job_id: str, source: Path, completed: int) -> None:
    """A RUNNING job on the stand-in that restored from `source` (as Flink names it: file:/…) and has completed
    `completed` checkpoints of its own since."""
    flink.answers["GET /jobs/overview"] = (
        200,
        {"jobs": [{"jid": job_id, "name": OURS, "state": "RUNNING", "start-time": 5}]},
    )
    flink.answers[f"GET /jobs/{job_id}/checkpoints"] = (
        200,
        {
            "counts": {"completed": completed, "restored": 1, "in_progress": 0},
            "latest": {"restored": {"id": 2, "external_path": f"file:{source}", "restore_timestamp": 10}},
        },
    )


def test_prune_keeps_a_running_job_s_restore_source_until_the_job_completes_a_checkpoint(
    root, capsys, flink, no_inspector
):
    # Run A left chk-1..3; run B restored from chk-2 in NO_CLAIM mode and is still taking its first checkpoint.
    for number in (1, 2, 3):
        make_checkpoint(root, JOB_A, number, mtime=100 * number)
    make_checkpoint(root, JOB_B, 1, metadata=None)
    restored_job(flink, JOB_B, root / JOB_A / "chk-2", completed=0)

    code = main(prune_arguments(root, "--apply"))

    assert (root / JOB_A / "chk-2").is_dir() and not (root / JOB_A / "chk-1").exists()
    rows = prune_rows(capsys.readouterr().out)
    assert rows["a/chk-2"] == (
        "keep",
        f"restore source of running job {JOB_B}, which has completed no checkpoint of its own yet",
    )
    assert code == 0


def test_a_restore_source_is_released_once_its_job_has_a_complete_checkpoint_of_its_own(
    root, capsys, flink, no_inspector
):
    for number in (1, 2, 3):
        make_checkpoint(root, JOB_A, number, mtime=100 * number)
    make_checkpoint(root, JOB_B, 1, mtime=400)
    restored_job(flink, JOB_B, root / JOB_A / "chk-2", completed=1)

    assert main(prune_arguments(root, "--apply")) == 0

    assert not (root / JOB_A / "chk-2").exists()
    assert prune_rows(capsys.readouterr().out)["a/chk-2"][0] == "removed"


def test_without_the_rest_api_prune_keeps_what_a_job_without_a_checkpoint_may_have_restored(
    root, capsys, flink, no_inspector
):
    for number in (1, 2, 3):
        make_checkpoint(root, JOB_A, number, mtime=100 * number)
    make_checkpoint(root, JOB_B, 1, metadata=None)
    os.utime(root / JOB_B, (1000, 1000))
    flink.answering = False

    code = main(prune_arguments(root, "--apply"))

    assert all((root / JOB_A / f"chk-{n}").is_dir() for n in (1, 2, 3))
    out = capsys.readouterr().out
    assert f"could not ask the JobManager at {flink.url} which checkpoints its running jobs restored from" in out
    assert prune_rows(out)["a/chk-1"] == (
        "keep",
        f"written before job folder {JOB_B} (no complete checkpoint yet) last changed: its job may have restored from it",
    )
    assert code == 0


# --- a real checkpoint of the job --------------------------------------------------------------------

# chk-5 of the first job of a ci stack's e2e run (docker, EXACTLY_ONCE, parallelism 2, 2 partitions): its
# _metadata alone, as Flink wrote it; the hashmap backend kept all its state inline. The checkpoint the
# cancel-and-restore fault restored from.
FIXTURE = Path(__file__).parent / "testdata" / "real-checkpoints"
# More job folders retained by a running stack, when a developer copied some there.
COPIED = (
    Path(os.environ["FLINK_CHECKPOINTER_REAL_CHECKPOINTS"])
    if os.environ.get("FLINK_CHECKPOINTER_REAL_CHECKPOINTS")
    else None
)
REPO = Path(__file__).resolve().parents[2]


FIXTURE_CHECKPOINT = FIXTURE / "8148a985ff323876439d2774e50e39d6" / "chk-5"


def built_inspector() -> tuple[str, str]:
    """The jar of the default Flink line's inspector and the Flink jars it runs on outside the image, from the setup
    program (built when needed)."""
    line = json.loads((REPO / "versions.json").read_text())["defaultFlinkLine"]
    built = subprocess.run(
        [str(REPO / "node_modules" / ".bin" / "tsx"), str(REPO / "setup" / "cli.ts"), "path", "inspector", line],
        capture_output=True,
        text=True,
    )
    assert built.returncode == 0, built.stderr
    tool = Path(built.stdout.strip().splitlines()[-1])
    return str(tool / "checkpoint-inspector.jar"), (tool / "classpath.txt").read_text().strip()


def run_inspector_tool(checkpoints: Sequence[Path], source_uid: str | None) -> subprocess.CompletedProcess:
    """The Java tool itself, as checkpoints.py calls it."""
    return subprocess.run(
        inspector_command(*built_inspector(), [str(c) for c in checkpoints], source_uid), capture_output=True, text=True
    )


def inspect_json(checkpoint_dir: Path, checkpoint: str) -> dict:
    jar, classpath = built_inspector()
    command = [
        "inspect",
        checkpoint,
        "--json",
        "--checkpoint-dir",
        f"file://{checkpoint_dir}",
        "--inspector-jar",
        jar,
        "--flink-classpath",
        classpath,
    ]
    ran = subprocess.run(
        ["python3", str(Path(__file__).parent / "checkpoints.py"), *command], capture_output=True, text=True
    )
    assert ran.returncode == 0, ran.stderr
    return json.loads(ran.stdout)


def assert_a_checkpoint_of_the_job(result: dict) -> None:
    assert result["restore"] == {
        "restorable": True,
        "missingUids": [],
        "unmappedOperatorsWithState": [],
        "runtimeProblem": None,
    }
    assert sorted((o["topic"], o["partition"]) for o in result["sourceOffsets"]) == [("visits", 0), ("visits", 1)]
    assert all(o["offset"] >= 0 and o["uid"] == "visits-source" for o in result["sourceOffsets"])
    assert next(o for o in result["operators"] if o["uid"] == "visit-windows")["keyedStateBytes"] > 0


def test_the_inspector_reads_the_offsets_and_operators_of_a_real_checkpoint_of_the_job():
    result = inspect_json(FIXTURE, "latest")
    assert_a_checkpoint_of_the_job(result)
    assert result["checkpointId"] == 5
    assert {(o["partition"], o["offset"]) for o in result["sourceOffsets"]} == {(0, 430), (1, 444)}
    # Its state is inline: pruning others never has to keep a folder for it.
    assert result["referencedFiles"] == []


def test_list_with_the_inspector_says_a_real_checkpoint_of_the_hashmap_backend_shares_nothing(capsys):
    jar, classpath = built_inspector()
    assert (
        main(["list", "--checkpoint-dir", f"file://{FIXTURE}", "--inspector-jar", jar, "--flink-classpath", classpath])
        == 0
    )
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].split()[:3] == ["8148a985ff323876439d2774e50e39d6", "chk-5", "yes"]
    assert cell(lines, 1, "shared incrementally") == "no"


def test_the_inspector_reads_the_latest_checkpoint_copied_from_a_running_stack():
    if COPIED is None or not COPIED.is_dir() or not any(c.complete for c in scan(f"file://{COPIED}")):
        pytest.skip(
            f"no retained checkpoint copied from a running stack in {COPIED} (set FLINK_CHECKPOINTER_REAL_CHECKPOINTS "
            "to a folder of <job id>/chk-N/ from a stack's checkpoint volume); the committed one is inspected above"
        )
    assert_a_checkpoint_of_the_job(inspect_json(COPIED, "latest"))


def test_the_inspector_reads_each_checkpoint_s_own_offsets_when_given_several(tmp_path):
    # The checkpoints of one run share one reading job; each must get its own two splits, not all of them, even
    # when one is named twice.
    copy = tmp_path / JOB_B / "chk-5"
    copy.mkdir(parents=True)
    shutil.copy(FIXTURE_CHECKPOINT / "_metadata", copy / "_metadata")
    ran = run_inspector_tool([FIXTURE_CHECKPOINT, copy, FIXTURE_CHECKPOINT], SOURCE_UID)
    assert ran.returncode == 0, ran.stderr
    results = json.loads(ran.stdout)
    assert [r["checkpoint"] for r in results] == [
        f"file:{FIXTURE_CHECKPOINT}",
        f"file:{copy}",
        f"file:{FIXTURE_CHECKPOINT}",
    ]
    for result in results:
        assert [(o["partition"], o["offset"]) for o in result["sourceOffsets"]] == [(0, 430), (1, 444)]


def test_a_source_uid_that_the_checkpoint_lacks_gives_no_offsets_and_no_error():
    # The job's source renamed since the checkpoint: the State Processor API would refuse to read a uid the
    # checkpoint does not hold, so the tool reads none; the restore verdict names the missing uid.
    ran = run_inspector_tool([FIXTURE_CHECKPOINT], "visits-source-renamed")
    assert ran.returncode == 0, ran.stderr
    [result] = json.loads(ran.stdout)
    assert result["sourceOffsets"] == []
    assert any(o["uid"] == SOURCE_UID and o["operatorStateNames"] == ["SourceReaderState"] for o in result["operators"])


def test_without_a_source_uid_the_inspector_reads_only_the_metadata():
    ran = run_inspector_tool([FIXTURE_CHECKPOINT], None)
    assert ran.returncode == 0, ran.stderr
    [result] = json.loads(ran.stdout)
    assert "sourceOffsets" not in result
    assert result["checkpointId"] == 5 and len(result["operators"]) == 12 and result["referencedFiles"] == []


def test_the_inspector_refuses_a_chk_folder_without_metadata_or_with_a_broken_one(root):
    incomplete = make_checkpoint(root, JOB_A, 9, metadata=None, state=b"state written before the crash")
    ran = run_inspector_tool([FIXTURE_CHECKPOINT, incomplete], SOURCE_UID)
    assert ran.returncode == 1 and ran.stdout == ""
    assert (
        f"checkpoint-inspector: cannot read checkpoint {incomplete}: {incomplete} has no _metadata: the checkpoint is "
        "incomplete (still being written, aborted or cut short by a crash) and cannot be restored from; name a chk-N "
        "folder that has a _metadata"
    ) in ran.stderr
    broken = make_checkpoint(root, JOB_A, 10, metadata=b"not Flink's")
    ran = run_inspector_tool([broken], SOURCE_UID)
    assert ran.returncode == 1 and f"checkpoint-inspector: cannot read checkpoint {broken}: " in ran.stderr
