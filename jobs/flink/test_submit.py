import re
import time

import pytest
import submit
from rest_stand_in import running_stand_in
from submit import (
    PYTHON_DRIVER_CLASS,
    SubmitError,
    SubmitUsageError,
    exception_summary,
    flink_error_text,
    jobs_named,
    multipart_jar_body,
    parse_submit_args,
    restore_check,
    restore_path,
    run_request_body,
    running_job_problem,
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
        (["--rest-url", "jobmanager:8081", "--job-name", "x"], "--rest-url 'jobmanager:8081' is not allowed"),
        (BASE + ["--parallelism", "0"], "argument --parallelism: '0' is not allowed: a whole number from 1 to 32768"),
        (
            BASE + ["--timeout-seconds", "soon"],
            "argument --timeout-seconds: 'soon' is not allowed: a number of seconds from 1 to 86400",
        ),
        (BASE + ["--timeout-seconds", "nan"], "argument --timeout-seconds: 'nan' is not allowed"),
        (BASE + ["--timeout-seconds", "inf"], "argument --timeout-seconds: 'inf' is not allowed"),
        (BASE + ["--timeout-seconds", "1e9"], "argument --timeout-seconds: '1e9' is not allowed"),
        (BASE + ["--timeout-seconds", "86401"], "argument --timeout-seconds: '86401' is not allowed"),
        (
            BASE + ["--parallelism", "99999999999999999999"],
            "argument --parallelism: '99999999999999999999' is not allowed",
        ),
        (BASE + ["--parallelism", "-0"], "argument --parallelism: '-0' is not allowed"),
        (
            ["--rest-url", "http://jobmanager:port", "--job-name", "x"],
            "--rest-url 'http://jobmanager:port' is not allowed: an http:// or https:// URL with a host",
        ),
        (["--rest-url", "http://:8081", "--job-name", "x"], "--rest-url 'http://:8081' is not allowed"),
        (BASE + ["--restore-from", " "], "--restore-from must not be empty"),
        (
            BASE + ["--restore-from", "latest", "--"],
            "--restore-from latest searches the job's checkpoint directory: give the job argument --checkpoint-dir",
        ),
        (BASE + ["--checkpoint-mode", "EXACTLY_ONCE"], "unrecognized arguments: --checkpoint-mode"),
    ],
)
def test_bad_arguments_say_what_is_wrong(argv, message):
    with pytest.raises(SubmitUsageError) as error:
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


# --- retries of transient failures, against a stand-in JobManager over HTTP -----------------------------

JAR_NAME = "flink-python-9.9.9.jar"
STARTED_JOB = "f" * 32


class Cluster:
    """A JobManager's REST API as the submission uses it: jobs, jars, a run that starts a RUNNING job."""

    def __init__(self, flink):
        self.flink = flink
        self.jobs: list[dict] = []
        self.jars: list[dict] = []
        flink.answers.update(
            {
                "GET /overview": (200, {"slots-available": 4, "taskmanagers": 2}),
                "GET /jobs/overview": lambda _: (200, {"jobs": list(self.jobs)}),
                "GET /jars": lambda _: (200, {"files": list(self.jars)}),
                "POST /jars/upload": lambda _: self.store_jar(),
                f"GET /jobs/{STARTED_JOB}": lambda _: (
                    200,
                    {"jid": STARTED_JOB, "state": "RUNNING", "vertices": [{"status": "RUNNING"}]},
                ),
            }
        )
        self.on_run(lambda _: self.start_job())

    def store_jar(self):
        self.jars.append({"id": f"a1_{JAR_NAME}", "name": JAR_NAME, "uploaded": len(self.jars)})
        return 200, {"status": "success", "filename": f"/tmp/flink-web/upload/a1_{JAR_NAME}"}

    def start_job(self):
        self.jobs.append({"jid": STARTED_JOB, "name": "visit-windows", "state": "RUNNING", "start-time": 9})
        return 200, {"jobid": STARTED_JOB}

    def on_run(self, answer):
        self.flink.answers[f"POST /jars/a1_{JAR_NAME}/run"] = answer

    def runs(self) -> int:
        return self.flink.asked("POST", f"/jars/a1_{JAR_NAME}/run")

    def uploads(self) -> int:
        return self.flink.asked("POST", "/jars/upload")


@pytest.fixture
def cluster(monkeypatch):
    # Short timeouts and polls, so a call that "hangs" (the stand-in sleeps) times out within the test.
    monkeypatch.setattr(submit, "REQUEST_TIMEOUT_SECONDS", 0.3)
    monkeypatch.setattr(submit, "UPLOAD_TIMEOUT_SECONDS", 0.3)
    monkeypatch.setattr(submit, "RUN_TIMEOUT_SECONDS", 0.3)
    monkeypatch.setattr(submit, "RUN_SETTLE_SECONDS", 0.5)
    monkeypatch.setattr(submit, "POLL_SECONDS", 0.05)
    with running_stand_in() as flink:
        yield Cluster(flink)


def submit_to(cluster: Cluster, tmp_path, timeout_seconds: str = "20") -> int:
    jar = tmp_path / JAR_NAME
    jar.write_bytes(b"PK\x03\x04 the PythonDriver")
    return submit.main(
        [
            "--rest-url",
            cluster.flink.url,
            "--job-name",
            "visit-windows",
            "--timeout-seconds",
            timeout_seconds,
            "--python-jar",
            str(jar),
            "--",
        ]
    )


def hanging(seconds: float, then):
    """An answer that comes after the client's timeout; `then` runs first (what the server did meanwhile)."""

    def answer(_):
        result = then()
        time.sleep(seconds)
        return result

    return answer


def test_an_upload_that_timed_out_is_retried_and_said(cluster, tmp_path, capsys):
    answers = iter(
        [hanging(1.0, lambda: (200, {"status": "success", "filename": "/lost"})), lambda _: cluster.store_jar()]
    )
    cluster.flink.answers["POST /jars/upload"] = lambda request: next(answers)(request)

    assert submit_to(cluster, tmp_path) == 0

    assert cluster.uploads() == 2 and cluster.runs() == 1
    err = capsys.readouterr().err
    assert (
        f"submit: retrying POST /jars/upload (attempt 2): POST {cluster.flink.url}/jars/upload failed: timed out" in err
    )


def test_an_upload_that_timed_out_but_was_stored_is_not_repeated(cluster, tmp_path, capsys):
    cluster.flink.answers["POST /jars/upload"] = hanging(1.0, cluster.store_jar)

    assert submit_to(cluster, tmp_path) == 0

    assert cluster.uploads() == 1
    assert f"but Flink has it as a1_{JAR_NAME}; using that" in capsys.readouterr().err


def test_a_run_that_timed_out_but_started_the_job_is_followed_not_repeated(cluster, tmp_path, capsys):
    cluster.on_run(hanging(1.0, cluster.start_job))

    assert submit_to(cluster, tmp_path) == 0

    assert cluster.runs() == 1 and len(cluster.jobs) == 1
    out, err = capsys.readouterr()
    assert out.strip() == STARTED_JOB
    assert f"but Flink started job {STARTED_JOB} (RUNNING); following that one instead of starting a second copy" in err


def test_a_run_answered_503_is_retried_once_no_job_appeared(cluster, tmp_path, capsys):
    answers = iter([lambda: (503, {"errors": ["no leader yet"]}), cluster.start_job])
    cluster.on_run(lambda _: next(answers)())

    assert submit_to(cluster, tmp_path) == 0

    assert cluster.runs() == 2 and len(cluster.jobs) == 1
    assert "submit: retrying POST /jars/a1_flink-python-9.9.9.jar/run (attempt 2): " in capsys.readouterr().err


def test_a_run_the_program_fails_is_not_retried(cluster, tmp_path, capsys):
    cluster.on_run(lambda _: (500, {"errors": ["Could not execute application.", "Python process exits with code: 1"]}))

    assert submit_to(cluster, tmp_path) == 1

    assert cluster.runs() == 1
    assert "was rejected with HTTP 500:\nCould not execute application." in capsys.readouterr().err


def test_reads_are_retried_through_5xx_answers(cluster, tmp_path):
    answers = iter([(500, {"errors": ["histogram"]}), (502, "bad gateway")])
    cluster.flink.answers["GET /jobs/overview"] = lambda _: next(answers, (200, {"jobs": list(cluster.jobs)}))

    assert submit_to(cluster, tmp_path) == 0
    assert cluster.runs() == 1


def test_a_jobmanager_that_never_answers_ends_in_one_message_naming_the_last_failure(cluster, tmp_path, capsys):
    cluster.flink.answering = False

    assert submit_to(cluster, tmp_path, timeout_seconds="1") == 1

    err = capsys.readouterr().err
    assert (
        "submit: FAILED: GET /overview failed " in err and " times until --timeout-seconds ran out; the last: " in err
    )
    assert "was rejected with HTTP 503" in err and "Traceback" not in err


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


def test_submit_refuses_before_it_waits_for_slots_uploads_or_runs_anything(cluster, tmp_path, capsys):
    jar = tmp_path / JAR_NAME
    jar.write_bytes(b"PK\x03\x04 the PythonDriver")
    runtime = ["--flink-line", "1.20", *RUNTIME_ARGS, "--restore-from", f"file://{CHECKPOINT_2_2}"]
    argv = ["--rest-url", cluster.flink.url, "--job-name", "visit-windows", "--python-jar", str(jar), *runtime, "--"]
    assert submit.main(argv) == 1
    assert "FAILED: refusing to restore from" in capsys.readouterr().err
    assert (cluster.uploads(), cluster.runs(), cluster.flink.asked("GET", "/overview")) == (0, 0, 1)
