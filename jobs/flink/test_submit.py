import re

import pytest
from submit import (
    PYTHON_DRIVER_CLASS,
    SubmitError,
    exception_summary,
    flink_error_text,
    jobs_named,
    multipart_jar_body,
    parse_submit_args,
    restore_check,
    restore_path,
    run_request_body,
    running_job_problem,
    submit,
    uploaded_jar_id,
)
from test_checkpoint_origin import CHECKPOINT_1_20, CHECKPOINT_2_2
from test_checkpoints import JOB_A, JOB_B, make_checkpoint

BASE = ["--rest-url", "http://jobmanager:8081/", "--job-name", "visit-windows"]


def test_defaults_and_job_arguments_after_the_separator():
    options = parse_submit_args(BASE + ["--", "--checkpoint-mode", "AT_LEAST_ONCE"])
    assert options.rest_url == "http://jobmanager:8081"
    assert options.restore_from is None
    assert options.timeout_seconds == 300
    assert options.parallelism == 2
    assert options.job_file == "/opt/flink/usrlib/jobs/visit_windows_job.py"
    # The job learns the same name and parallelism the submission checks for.
    assert options.job_args == (
        "--checkpoint-mode",
        "AT_LEAST_ONCE",
        "--job-name",
        "visit-windows",
        "--parallelism",
        "2",
    )


def test_job_arguments_that_agree_with_the_submission_are_kept_as_given():
    options = parse_submit_args(BASE + ["--parallelism", "3", "--", "--job-name=visit-windows", "--parallelism", "3"])
    assert options.job_args == ("--job-name=visit-windows", "--parallelism", "3")


@pytest.mark.parametrize(
    "argv, message",
    [
        (
            BASE + ["--", "--job-name", "other"],
            "job argument --job-name 'other' differs from the submission's --job-name 'visit-windows'",
        ),
        (
            BASE + ["--", "--parallelism=4"],
            "job argument --parallelism '4' differs from the submission's --parallelism '2'",
        ),
        (["--job-name", "x"], "the following arguments are required: --rest-url"),
        (["--rest-url", "jobmanager:8081", "--job-name", "x"], "--rest-url must start with http:// or https://"),
        (BASE + ["--parallelism", "0"], "argument --parallelism: must be positive, got '0'"),
        (BASE + ["--timeout-seconds", "soon"], "argument --timeout-seconds: must be a positive number"),
        (BASE + ["--restore-from", " "], "--restore-from must not be empty"),
        (
            BASE + ["--restore-from", "latest", "--"],
            "--restore-from latest searches the job's checkpoint directory: give the job argument --checkpoint-dir",
        ),
        (BASE + ["--checkpoint-mode", "EXACTLY_ONCE"], "unrecognized arguments: --checkpoint-mode"),
    ],
)
def test_bad_arguments_say_what_is_wrong(argv, message):
    with pytest.raises(SubmitError) as error:
        parse_submit_args(argv)
    assert message in str(error.value)


def test_run_body_starts_the_python_driver_with_the_job_and_its_arguments():
    options = parse_submit_args(BASE + ["--", "--bootstrap-servers", "kafka:9092"])
    assert run_request_body(options, None) == {
        "entryClass": PYTHON_DRIVER_CLASS,
        "programArgsList": [
            "-py",
            "/opt/flink/usrlib/jobs/visit_windows_job.py",
            "--bootstrap-servers",
            "kafka:9092",
            "--job-name",
            "visit-windows",
            "--parallelism",
            "2",
        ],
        "parallelism": 2,
    }


def test_run_body_restores_from_the_checkpoint_without_dropping_state():
    options = parse_submit_args(BASE + ["--restore-from", "file:///checkpoints_flink/0123abcd/chk-7", "--"])
    body = run_request_body(options, options.restore_from)
    assert body["savepointPath"] == "file:///checkpoints_flink/0123abcd/chk-7"
    assert body["allowNonRestoredState"] is False
    assert body["programArgsList"][:2] == ["-py", "/opt/flink/usrlib/jobs/visit_windows_job.py"]


def test_multipart_body_has_one_jarfile_part_with_the_bytes_unchanged():
    jar_bytes = b"PK\x03\x04\x00\xffbinary\r\n--not-a-boundary"
    body = multipart_jar_body("flink-python-9.9.9.jar", jar_bytes, "b0undary")
    assert body.startswith(
        b'--b0undary\r\nContent-Disposition: form-data; name="jarfile"; filename="flink-python-9.9.9.jar"\r\n'
    )
    assert b"\r\n\r\n" + jar_bytes + b"\r\n--b0undary--\r\n" in body
    assert body.endswith(b"--b0undary--\r\n")


def test_the_latest_upload_of_the_same_jar_is_reused():
    listing = {
        "address": "http://jobmanager:8081",
        "files": [
            {"id": "a_flink-python-9.9.9.jar", "name": "flink-python-9.9.9.jar", "uploaded": 100},
            {"id": "b_flink-python-9.9.9.jar", "name": "flink-python-9.9.9.jar", "uploaded": 300},
            {"id": "c_other.jar", "name": "other.jar", "uploaded": 500},
        ],
    }
    assert uploaded_jar_id(listing, "flink-python-9.9.9.jar") == "b_flink-python-9.9.9.jar"
    assert uploaded_jar_id(listing, "flink-python-1.19.0.jar") is None
    assert uploaded_jar_id({"files": []}, "flink-python-9.9.9.jar") is None


def test_jobs_are_found_by_name_newest_first():
    overview = {
        "jobs": [
            {"jid": "old", "name": "visit-windows", "state": "CANCELED", "start-time": 1},
            {"jid": "new", "name": "visit-windows", "state": "RUNNING", "start-time": 9},
            {"jid": "x", "name": "something-else", "state": "RUNNING", "start-time": 5},
        ]
    }
    assert [job["jid"] for job in jobs_named(overview, "visit-windows")] == ["new", "old"]


def test_flink_errors_are_shown_whole():
    payload = {
        "errors": [
            "org.apache.flink.runtime.rest.handler.RestHandlerException: Could not execute application.",
            "Caused by: java.io.FileNotFoundException: Cannot find checkpoint or savepoint file",
        ]
    }
    assert flink_error_text(payload) == "\n".join(payload["errors"])
    assert flink_error_text(None) == "(no response body)"


def test_exception_summary_keeps_the_headline_and_the_causes():
    trace = """org.apache.flink.runtime.client.JobInitializationException: Could not start the JobMaster.
\tat org.apache.flink.runtime.jobmaster.DefaultJobMasterServiceProcess.lambda$new$0(DefaultJobMasterServiceProcess.java:97)
Caused by: java.util.concurrent.CompletionException: java.lang.RuntimeException: wrapped
\tat java.base/java.util.concurrent.CompletableFuture.encodeThrowable(CompletableFuture.java:315)
Caused by: java.io.FileNotFoundException: Cannot find checkpoint or savepoint file/directory 'file:///x/chk-1'
\t... 3 more
"""
    assert exception_summary(trace) == (
        "org.apache.flink.runtime.client.JobInitializationException: Could not start the JobMaster.\n"
        "Caused by: java.util.concurrent.CompletionException: java.lang.RuntimeException: wrapped\n"
        "Caused by: java.io.FileNotFoundException: Cannot find checkpoint or savepoint file/directory 'file:///x/chk-1'"
    )
    assert exception_summary("") == "(no exception text)"


def test_latest_is_chosen_on_the_volume_with_the_cluster_s_job_names(tmp_path):
    make_checkpoint(tmp_path, JOB_A, 3, mtime=2000)
    make_checkpoint(tmp_path, JOB_B, 9, mtime=3000)  # newer, but the cluster knows it as another job
    options = parse_submit_args(BASE + ["--restore-from", "latest", "--", "--checkpoint-dir", f"file://{tmp_path}"])
    overview = {"jobs": [{"jid": JOB_B, "name": "other-job", "state": "CANCELED", "start-time": 5}]}

    path, why = restore_path(options, overview)

    assert path == f"file://{tmp_path}/{JOB_A}/chk-3"
    assert why.startswith("newest complete; job " + JOB_A)
    assert f"{JOB_B} is 'other-job'" in why


def test_latest_without_a_complete_checkpoint_fails_naming_the_folder(tmp_path):
    options = parse_submit_args(BASE + ["--restore-from", "latest", "--", "--checkpoint-dir", f"file://{tmp_path}"])
    with pytest.raises(SubmitError, match=f"--restore-from latest: no complete retained checkpoint .* in {tmp_path}"):
        restore_path(options, {"jobs": []})


def test_a_named_checkpoint_is_taken_as_given():
    options = parse_submit_args(BASE + ["--restore-from", "file:///checkpoints_flink/0123abcd/chk-7", "--"])
    assert restore_path(options, {"jobs": []}) == (
        "file:///checkpoints_flink/0123abcd/chk-7",
        "named by --restore-from",
    )
    assert restore_path(parse_submit_args(BASE), {"jobs": []})[0] is None


def test_a_restore_while_the_job_runs_says_to_cancel_it_first():
    options = parse_submit_args(
        BASE + ["--restore-from", "latest", "--", "--checkpoint-dir", "file:///checkpoints_flink"]
    )
    message = running_job_problem({"jid": JOB_A, "state": "RUNNING"}, options)
    assert message.startswith(
        f"a job named 'visit-windows' is RUNNING ({JOB_A}); a restore (--restore-from latest) "
        "starts a new job, so cancel that one first"
    )
    assert f"PATCH /jobs/{JOB_A}?mode=cancel" in message


# --- what the cluster cannot restore is refused before anything is submitted -------------------------------------

RUNTIME_ARGS = ["--checkpoint-formats", "1.20=4,2.2=6", "--python-execution-mode", "thread"]


def restoring(line: str, checkpoint, mode: str = "thread"):
    runtime = ["--flink-line", line, "--checkpoint-formats", "1.20=4,2.2=6", "--python-execution-mode", mode]
    return parse_submit_args(BASE + ["--restore-from", f"file://{checkpoint}", *runtime])


def test_a_newer_line_s_checkpoint_is_refused_naming_the_writer_the_runner_and_what_to_do_instead():
    refusal, origin = restore_check(restoring("1.20", CHECKPOINT_2_2), f"file://{CHECKPOINT_2_2}")
    assert refusal.startswith(f"refusing to restore from file://{CHECKPOINT_2_2}: it was written by Flink 2.2, ")
    assert "this stack runs Flink 1.20" in refusal and "run Flink 2.2 again (flinkVersion)" in refusal
    assert origin == "Flink 2.2 (metadata format 6), thread mode"


def test_an_older_line_s_checkpoint_in_the_same_mode_goes_ahead_and_says_what_wrote_it():
    options = restoring("2.2", CHECKPOINT_1_20, mode="process")
    assert restore_check(options, f"file:{CHECKPOINT_1_20}") == (None, "Flink 1.20 (metadata format 4), process mode")


def test_a_checkpoint_of_the_other_execution_mode_is_refused():
    refusal, _ = restore_check(restoring("2.2", CHECKPOINT_1_20, mode="thread"), f"file://{CHECKPOINT_1_20}/_metadata")
    assert (
        "written with python.execution-mode process" in refusal
        and "restore it with pythonExecutionMode process" in refusal
    )


def test_without_the_cluster_s_line_or_a_checkpoint_on_the_volume_nothing_is_checked(tmp_path):
    assert restore_check(parse_submit_args(BASE), f"file://{CHECKPOINT_2_2}") == (None, None)
    assert restore_check(restoring("1.20", tmp_path), f"file://{tmp_path}/gone/chk-1") == (None, None)


@pytest.mark.parametrize(
    "argv, message",
    [
        (BASE + ["--flink-line", "1.20", "--checkpoint-formats", "1.20=4,2.2"], "'2.2' is not <line>=<format>"),
        (BASE + ["--flink-line", "3.0", *RUNTIME_ARGS], "--flink-line '3.0' is not one of the lines of"),
        (BASE + ["--python-execution-mode", "threads"], "invalid choice: 'threads'"),
    ],
)
def test_bad_runtime_arguments_say_what_is_wrong(argv, message):
    with pytest.raises(SubmitError, match=re.escape(message)):
        parse_submit_args(argv)


class ClusterWithoutJobs:
    """Flink's REST API as far as submit() asks before a restore: an answering cluster that runs no job."""

    asked: list[str] = []

    def __init__(self, base_url, deadline):
        self.deadline = deadline

    def seconds_left(self):
        return 10.0

    def get(self, path):
        ClusterWithoutJobs.asked.append(path)
        return {"jobs": []} if path == "/jobs/overview" else {"slots-available": 4}


def test_submit_refuses_before_it_waits_for_slots_uploads_or_runs_anything(monkeypatch):
    monkeypatch.setattr("submit.FlinkRest", ClusterWithoutJobs)
    ClusterWithoutJobs.asked = []
    with pytest.raises(SubmitError, match="it was written by Flink 2.2, and this stack runs Flink 1.20"):
        submit(restoring("1.20", CHECKPOINT_2_2))
    assert ClusterWithoutJobs.asked == ["/overview", "/jobs/overview", "/jobs/overview"]
