"""Bad input to the job's tools, as a user or a broken volume gives it: each case asserts what the tool says, its exit
code, that no Python traceback is printed, and that nothing in the checkpoint tree (nor beside it) was created,
changed or deleted."""

import socket
import subprocess
import sys
from pathlib import Path

import pytest
from checkpoints import main as checkpoints_main
from test_checkpoints import JOB_A, JOB_B, make_checkpoint, prune_arguments, prune_rows, tree_snapshot, uri

HERE = Path(__file__).parent
KEEP_ALLOWED = "a whole number from 1 to 1000 (the newest complete checkpoint is always kept)"


def run_tool(script: str, arguments: list[str], cwd: Path) -> subprocess.CompletedProcess:
    """The tool as a user runs it: its own process, so a traceback would show on stderr."""
    return subprocess.run(
        [sys.executable, str(HERE / script), *arguments], capture_output=True, text=True, cwd=cwd, check=False
    )


@pytest.fixture
def tree(root, tmp_path):
    """A checkpoint directory with one complete checkpoint (which every prune keeps) and a folder beside it."""
    make_checkpoint(root, JOB_A, 1, mtime=100, state=b"state")
    (tmp_path / "beside").mkdir()
    (tmp_path / "beside" / "precious").write_text("not the tools' to touch")
    return root


# --- the command lines of checkpoints.py and submit.py ---------------------------------------------------

CHECKPOINTS_CASES = [
    (["prune", "--keep", "0"], 2, f"checkpoints.py prune: error: argument --keep: '0' is not allowed: {KEEP_ALLOWED}"),
    (
        ["prune", "--keep", "1e3"],
        2,
        f"checkpoints.py prune: error: argument --keep: '1e3' is not allowed: {KEEP_ALLOWED}",
    ),
    (
        ["prune", "--keep", "1001"],
        2,
        f"checkpoints.py prune: error: argument --keep: '1001' is not allowed: {KEEP_ALLOWED}",
    ),
    (
        ["prune", "--keep", "-1"],
        2,
        f"checkpoints.py prune: error: argument --keep: '-1' is not allowed: {KEEP_ALLOWED}",
    ),
    (
        ["prune", "--keep", "1", "--protect", "chk-1"],
        2,
        "checkpoints.py prune: error: argument --protect: 'chk-1' is not allowed: a chk-N folder as a file:// URI or an "
        "absolute path on the checkpoint volume",
    ),
    (["restore"], 2, "checkpoints.py: error: argument command: invalid choice: 'restore' (choose from"),
    (
        ["list", "--checkpoint-dir", "s3://bucket/checkpoints"],
        1,
        "checkpoints: checkpoint directory 's3://bucket/checkpoints' is a bucket: give its store with --s3-endpoint",
    ),
    (
        ["list", "--checkpoint-dir", "file:///nowhere/checkpoints_flink"],
        1,
        "checkpoints: /nowhere/checkpoints_flink does not exist in this container; is the checkpoint volume mounted "
        "there?",
    ),
]


@pytest.mark.parametrize("arguments, code, message", CHECKPOINTS_CASES)
def test_checkpoints_py_refuses_a_bad_command_line(tree, tmp_path, arguments, code, message):
    before = tree_snapshot(tmp_path)
    needs_jar = arguments[0] == "prune"
    ran = run_tool(
        "checkpoints.py",
        [*arguments, *(["--inspector-jar", "none.jar"] if needs_jar else [])]
        + ([] if "--checkpoint-dir" in arguments else ["--checkpoint-dir", uri(tree)]),
        tmp_path,
    )
    assert (ran.returncode, ran.stdout) == (code, "")
    assert message in ran.stderr and "Traceback" not in ran.stderr
    assert tree_snapshot(tmp_path) == before


def test_inspect_names_a_checkpoint_that_is_not_there_or_not_complete(tree, tmp_path):
    make_checkpoint(tree, JOB_A, 2, metadata=None)
    before = tree_snapshot(tmp_path)
    for name, problem in (("chk-9", "does not exist"), ("chk-2", "has no _metadata")):
        ran = run_tool(
            "checkpoints.py",
            ["inspect", f"{tree}/{JOB_A}/{name}", "--inspector-jar", "none.jar", "--checkpoint-dir", uri(tree)],
            tmp_path,
        )
        assert ran.returncode == 1 and "Traceback" not in ran.stderr
        assert ran.stderr.strip() == (
            f"checkpoints: checkpoint '{tree}/{JOB_A}/{name}': {tree}/{JOB_A}/{name} {problem}; name a chk-<n> folder "
            "that has a _metadata, or latest"
        )
    assert tree_snapshot(tmp_path) == before


SUBMIT_BASE = ["--rest-url", "http://jobmanager:8081", "--job-name", "visit-windows"]
SUBMIT_CASES = [
    (
        SUBMIT_BASE + ["--timeout-seconds", "nan"],
        "argument --timeout-seconds: 'nan' is not allowed: a number of seconds from 1 to 86400",
    ),
    (
        SUBMIT_BASE + ["--timeout-seconds", "1e400"],
        "argument --timeout-seconds: '1e400' is not allowed: a number of seconds from 1 to 86400",
    ),
    (
        SUBMIT_BASE + ["--parallelism", "0"],
        "argument --parallelism: '0' is not allowed: a whole number from 1 to 32768",
    ),
    (
        ["--rest-url", "jobmanager:8081", "--job-name", "visit-windows"],
        "--rest-url 'jobmanager:8081' is not allowed: an http:// or https:// URL with a host and an optional port",
    ),
    (
        ["--rest-url", "http://jobmanager:80a1", "--job-name", "visit-windows"],
        "--rest-url 'http://jobmanager:80a1' is not allowed",
    ),
    (["--rest-url", "http://jobmanager:8081"], "the following arguments are required: --job-name"),
    (
        SUBMIT_BASE + ["--restore-from", "latest", "--"],
        "--restore-from latest searches the job's checkpoint directory: give the job argument --checkpoint-dir",
    ),
    (
        SUBMIT_BASE + ["--", "--parallelism", "4"],
        "job argument --parallelism '4' differs from the submission's --parallelism '2'",
    ),
]


@pytest.mark.parametrize("arguments, message", SUBMIT_CASES)
def test_submit_py_refuses_a_bad_command_line_before_asking_flink(tmp_path, arguments, message):
    ran = run_tool("submit.py", arguments, tmp_path)
    assert (ran.returncode, ran.stdout) == (2, "")
    assert ran.stderr.startswith("submit: FAILED: ") and message in ran.stderr
    assert "Traceback" not in ran.stderr and len(ran.stderr.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


# --- checkpoint trees that prune must not make worse -------------------------------------------------------


def prune_changes_nothing(tmp_path, arguments, capsys) -> tuple[int, str]:
    """prune's exit code and output; asserts that nothing under tmp_path (the tree and beside it) changed."""
    before = tree_snapshot(tmp_path)
    code = checkpoints_main(arguments)
    assert tree_snapshot(tmp_path) == before
    return code, capsys.readouterr().out


def test_a_job_folder_that_is_a_link_elsewhere_is_refused_not_followed(tree, tmp_path, capsys, flink, no_inspector):
    make_checkpoint(tmp_path / "beside", "run", 1, mtime=50)
    make_checkpoint(tmp_path / "beside", "run", 2, mtime=60)
    (tree / JOB_B).symlink_to(tmp_path / "beside" / "run")
    code, out = prune_changes_nothing(tmp_path, prune_arguments(tree, "--apply"), capsys)
    assert code == 1
    assert prune_rows(out)["b/-"] == (
        "refused",
        f"a symbolic link to {tmp_path / 'beside' / 'run'}: prune never follows a link nor removes what it points to; "
        "remove the link yourself if nothing needs it",
    )


def test_a_chk_folder_that_is_a_link_is_refused_in_a_dry_run_too(tree, tmp_path, capsys, flink, no_inspector):
    (tree / JOB_A / "chk-0").symlink_to(tmp_path / "beside")
    code, out = prune_changes_nothing(tmp_path, prune_arguments(tree), capsys)
    assert code == 1 and prune_rows(out)["a/chk-0"][0] == "refused"
    assert f"1 refused or not removed (see why): {JOB_A}/chk-0" in out


def test_a_link_to_a_folder_inside_the_root_is_refused_as_well(tree, tmp_path, capsys, flink, no_inspector):
    (tree / JOB_B).symlink_to(tree / JOB_A)
    code, out = prune_changes_nothing(tmp_path, prune_arguments(tree, "--apply"), capsys)
    assert code == 1 and prune_rows(out)["b/-"][0] == "refused"


@pytest.mark.parametrize(
    "metadata, problem",
    [(b"", "has an empty _metadata"), (b"garbage!", "has a _metadata that is not Flink checkpoint metadata")],
)
def test_a_newer_broken_checkpoint_is_kept_as_one_a_job_may_still_write(
    tree, tmp_path, capsys, flink, no_inspector, metadata, problem
):
    make_checkpoint(tree, JOB_A, 2, metadata=metadata)
    code, out = prune_changes_nothing(tmp_path, prune_arguments(tree, "--apply"), capsys)
    assert code == 0
    assert prune_rows(out)["a/chk-2"] == (
        "keep",
        f"{problem} and is newer than any complete one of its folder: a running job may still write it",
    )


def test_entries_that_only_look_like_checkpoints_are_left_alone(root, tmp_path, capsys, flink, no_inspector):
    (root / JOB_A).mkdir()
    (root / JOB_A / "chk-1").write_text("a file, not a folder")
    (root / JOB_B).write_text("a file named like a job id")
    code, out = prune_changes_nothing(tmp_path, prune_arguments(root, "--apply"), capsys)
    assert code == 0 and out.splitlines()[0] == f"no chk-<n> folder in {root}"


def test_without_the_inspector_nothing_is_removed_and_each_row_says_why(tree, tmp_path, capsys, flink):
    make_checkpoint(tree, JOB_A, 2, mtime=200)
    code, out = prune_changes_nothing(tmp_path, prune_arguments(tree, "--apply"), capsys)
    assert code == 1
    action, why = prune_rows(out)["a/chk-1"]
    assert action == "refused"
    assert why.startswith(
        "the checkpoint inspector could not read the kept checkpoints (the checkpoint inspector unused.jar does not "
        "exist here; build it with "
    )


def test_a_jobmanager_that_does_not_answer_keeps_what_a_starting_job_may_need(tree, tmp_path, capsys, no_inspector):
    make_checkpoint(tree, JOB_A, 2, mtime=200)
    make_checkpoint(tree, JOB_B, 1, metadata=None)  # a job that has no complete checkpoint of its own yet
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{unused.getsockname()[1]}"
    code, out = prune_changes_nothing(tmp_path, prune_arguments(tree, "--apply", "--rest-url", closed), capsys)
    assert code == 0
    assert f"could not ask the JobManager at {closed} which checkpoints its running jobs restored from" in out
    assert prune_rows(out)["a/chk-1"][0] == "keep"


def test_the_checkpoint_protect_names_is_kept_even_when_retention_would_remove_it(
    tree, tmp_path, capsys, flink, no_inspector
):
    make_checkpoint(tree, JOB_A, 2, mtime=200)
    arguments = prune_arguments(tree, "--apply", "--protect", f"file://{tree}/{JOB_A}/chk-1/_metadata")
    code, out = prune_changes_nothing(tmp_path, arguments, capsys)
    assert code == 0
    assert prune_rows(out)["a/chk-1"] == (
        "keep",
        "named by --protect (npm run checkpoints passes the stack's restoreFrom)",
    )
