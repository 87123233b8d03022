import os

import pytest

from checkpoints import (
    METADATA_MAGIC,
    CheckpointSearchError,
    latest_checkpoint,
    listing_lines,
    local_path,
    scan,
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


@pytest.fixture
def root(tmp_path):
    directory = tmp_path / "checkpoints_flink"
    directory.mkdir()
    return directory


def uri(root):
    return f"file://{root}"


def test_the_highest_complete_checkpoint_wins_and_newer_incomplete_ones_are_named(root):
    make_checkpoint(root, JOB_A, 6, mtime=1000)
    make_checkpoint(root, JOB_A, 7, mtime=1020)
    make_checkpoint(root, JOB_A, 8, metadata=None)            # in progress or aborted
    make_checkpoint(root, JOB_A, 9, metadata=b"")             # cut short by a crash
    make_checkpoint(root, JOB_A, 10, metadata=b"garbage!")     # not Flink's
    (root / JOB_A / "shared").mkdir()
    (root / JOB_A / "taskowned").mkdir()

    choice = latest_checkpoint(uri(root), OURS, {})

    assert choice.checkpoint.uri == f"file://{root}/{JOB_A}/chk-7"
    assert choice.reason.startswith(
        "newest complete; chk-10 has a _metadata that is not Flink checkpoint metadata; "
        "chk-9 has an empty _metadata; chk-8 has no _metadata; "
        f"job {JOB_A}, not known to the cluster")


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
    assert (f"job {JOB_B}, known to the cluster as 'visit-windows', is the latest run: "
            "its _metadata of 1970-01-01T00:33:20Z is the newest of 2 job folders with a complete checkpoint") in choice.reason
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
    with pytest.raises(CheckpointSearchError, match="does not exist in this container; is the checkpoint volume mounted"):
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
