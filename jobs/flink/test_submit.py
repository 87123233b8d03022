import re
import time

import pytest
import submit
from rest_stand_in import running_stand_in
from submit import (
    PYTHON_DRIVER_CLASS,
    TOLERATED_RESTARTS,
    SubmitError,
    SubmitUsageError,
    checkpoint_since_restore,
    exception_summary,
    flink_error_text,
    jobs_named,
    multipart_jar_body,
    newest_failure,
    parse_submit_args,
    restart_loop_message,
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
        (
            BASE + ["--", "--checkpoint-interval-ms", "soon"],
            "job arguments after '--': visit_windows_job.py: argument --checkpoint-interval-ms:",
        ),
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


class JobScript:
    """The job a run starts, as Flink's REST API shows it from one poll of its state to the next: a list of steps, each
    (state, how many failures its exception history lists, the id of its latest completed checkpoint or None); the
    last step stays. The job restored checkpoint `restored` (None: it started without state)."""

    def __init__(self, steps, restored=None, failure="java.lang.RuntimeException: boom"):
        self.steps, self.restored, self.failure = list(steps), restored, failure
        # How often its state was asked: the exception history and the checkpoints answer as of the latest step.
        self.polls = 0
        self.cancelled = False

    def step(self):
        return self.steps[min(max(self.polls - 1, 0), len(self.steps) - 1)]

    def job(self):
        self.polls += 1
        state = "CANCELED" if self.cancelled else self.step()[0]
        return 200, {"jid": STARTED_JOB, "state": state, "vertices": [{"status": state}]}

    def exceptions(self):
        entries = [
            {
                "exceptionName": "java.lang.RuntimeException",
                "stacktrace": f"{self.failure}\n\tat x.y(Z.java:1)",
                "timestamp": 1000 + n,
            }
            for n in range(self.step()[1])
        ]
        return 200, {"exceptionHistory": {"entries": entries[::-1], "truncated": False}}

    def checkpoints(self):
        completed = self.step()[2]
        restored = self.restored
        return 200, {
            "counts": {"completed": 0 if completed is None else 1, "in_progress": 0, "failed": 0},
            "latest": {
                "completed": None if completed is None else {"id": completed},
                "restored": None if restored is None else {"id": restored, "external_path": f"file:/chk-{restored}"},
                "failed": None,
            },
        }

    def cancel(self):
        self.cancelled = True
        return 202, {}


HEALTHY = [("RUNNING", 0, 1)]


class Cluster:
    """A JobManager's REST API as the submission uses it: jobs, jars, a run that starts a job that is RUNNING and has
    completed a checkpoint, unless the test gives it another script (`cluster.started`)."""

    def __init__(self, flink):
        self.flink = flink
        self.jobs: list[dict] = []
        self.jars: list[dict] = []
        self.started = JobScript(HEALTHY)
        flink.answers.update(
            {
                "GET /overview": (200, {"slots-available": 4, "taskmanagers": 2}),
                "GET /jobs/overview": lambda _: (200, {"jobs": list(self.jobs)}),
                "GET /jars": lambda _: (200, {"files": list(self.jars)}),
                "POST /jars/upload": lambda _: self.store_jar(),
                f"GET /jobs/{STARTED_JOB}": lambda _: self.started.job(),
                f"GET /jobs/{STARTED_JOB}/exceptions": lambda _: self.started.exceptions(),
                f"GET /jobs/{STARTED_JOB}/checkpoints": lambda _: self.started.checkpoints(),
                f"PATCH /jobs/{STARTED_JOB}?mode=cancel": lambda _: self.started.cancel(),
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

    def cancels(self) -> int:
        return self.flink.asked("PATCH", f"/jobs/{STARTED_JOB}?mode=cancel")


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


def submit_to(cluster: Cluster, tmp_path, timeout_seconds: str = "20", own_args=(), job_args=()) -> int:
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
            *own_args,
            "--",
            *job_args,
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


# --- the submission succeeds once the job runs and has checkpointed; a restart loop is cancelled and named -------

UNCOMMITTABLE = (
    "java.lang.IllegalStateException: Failed to commit KafkaCommittable{producerId=20, epoch=0, "
    "transactionalId='visit-windows-0-5'}"
)
CHECKPOINT_5 = "file:///checkpoints_flink/8148a985ff323876439d2774e50e39d6/chk-5"
# Each poll of the job's state catches it RUNNING and RESTARTING in turn, its exception history growing.
FLAPPING = [(state, n, None) for n in range(4) for state in ("RESTARTING", "RUNNING")][1:]
# Every poll lands in a moment all its tasks are RUNNING: only the exception history shows the restarts.
LOOPING_BETWEEN_POLLS = [("RUNNING", n, None) for n in range(4)]


@pytest.mark.parametrize("steps", [FLAPPING, LOOPING_BETWEEN_POLLS], ids=["flapping", "between-polls"])
def test_a_restore_that_can_only_loop_is_cancelled_and_named(cluster, tmp_path, capsys, steps):
    cluster.started = JobScript(steps, restored=5, failure=UNCOMMITTABLE)

    assert submit_to(cluster, tmp_path, own_args=["--restore-from", CHECKPOINT_5]) == 1

    assert cluster.cancels() == 1
    err = capsys.readouterr().err
    failed = err[err.index("submit: FAILED: ") :]
    assert re.search(
        rf"FAILED: job {STARTED_JOB} restarted 3 times in \d+ s after restoring {CHECKPOINT_5}, "
        r"without completing a checkpoint \(more than 2 restarts: not a transient failure, a restart loop\)",
        failed,
    )
    assert f"Its latest failure:\n{UNCOMMITTABLE}\n" in failed
    assert "it was written against another broker" in failed and "start without restoreFrom" in failed
    assert failed.rstrip().endswith(
        f"So that nothing is left restarting, the submission cancelled job {STARTED_JOB} (now CANCELED)"
    )


def test_a_job_that_restarts_once_then_checkpoints_is_a_success(cluster, tmp_path, capsys):
    cluster.started = JobScript(
        [("RUNNING", 0, None), ("RESTARTING", 1, None), ("RUNNING", 1, None), ("RUNNING", 1, 6)], restored=5
    )

    assert submit_to(cluster, tmp_path, own_args=["--restore-from", CHECKPOINT_5]) == 0

    assert cluster.cancels() == 0
    assert f"submit: job {STARTED_JOB} is RUNNING and completed checkpoint 6" in capsys.readouterr().err


def test_a_healthy_job_is_a_success_after_its_first_checkpoint_not_before(cluster, tmp_path, capsys):
    cluster.started = JobScript(
        [("INITIALIZING", 0, None), ("RUNNING", 0, None), ("RUNNING", 0, None), ("RUNNING", 0, 1)]
    )

    assert submit_to(cluster, tmp_path) == 0

    assert cluster.started.polls >= 4 and cluster.flink.asked("GET", f"/jobs/{STARTED_JOB}/checkpoints") >= 3
    assert f"submit: job {STARTED_JOB} is RUNNING and completed checkpoint 1" in capsys.readouterr().err


def test_a_checkpoint_restored_again_is_not_one_of_the_job_s_own():
    def stats(completed, restored):
        return {"latest": {"completed": completed and {"id": completed}, "restored": restored and {"id": restored}}}

    assert checkpoint_since_restore(stats(None, None)) is None
    assert checkpoint_since_restore(stats(None, 5)) is None
    # After a restart the job restores its own latest checkpoint: it needs a newer one again.
    assert checkpoint_since_restore(stats(6, 6)) is None
    assert checkpoint_since_restore(stats(7, 6)) == {"id": 7}
    assert checkpoint_since_restore(stats(1, None)) == {"id": 1}


def test_a_job_that_never_checkpoints_is_cancelled_after_two_intervals(cluster, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(submit, "CHECKPOINT_WAIT_SLACK_SECONDS", 0.3)
    cluster.started = JobScript([("RUNNING", 0, None)])

    assert submit_to(cluster, tmp_path, job_args=["--checkpoint-interval-ms", "100"]) == 1

    assert cluster.cancels() == 1
    err = capsys.readouterr().err
    assert (
        f"FAILED: job {STARTED_JOB} completed no checkpoint in 0.5 s of running (its checkpoint interval is 0.1 s"
        in err
    )
    assert f"the submission cancelled job {STARTED_JOB} (now CANCELED)" in err


def test_an_interval_too_long_to_await_is_watched_for_restarts_instead(cluster, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(submit, "LOOP_WATCH_SECONDS", 0.5)
    cluster.started = JobScript([("RUNNING", 0, None)])

    assert (
        submit_to(
            cluster, tmp_path, job_args=["--checkpoint-mode", "AT_LEAST_ONCE", "--checkpoint-interval-ms", "3600000"]
        )
        == 0
    )

    assert cluster.cancels() == 0 and cluster.started.polls >= 3
    assert "the checkpoint interval (3600 s) is too long to await a checkpoint within --timeout-seconds" in (
        capsys.readouterr().err
    )


def test_a_job_found_alive_is_watched_too_its_earlier_failures_not_counted(cluster, tmp_path, capsys):
    cluster.jobs.append({"jid": STARTED_JOB, "name": "visit-windows", "state": "RUNNING", "start-time": 1})
    cluster.started = JobScript([("RUNNING", 5, None), ("RUNNING", 5, None), ("RUNNING", 5, 7)], restored=6)

    assert submit_to(cluster, tmp_path) == 0

    assert cluster.runs() == 0 and cluster.cancels() == 0
    assert f"submit: job {STARTED_JOB} is RUNNING and completed checkpoint 7" in capsys.readouterr().err


def test_a_job_found_alive_in_a_loop_is_named_with_what_it_restored(cluster, tmp_path, capsys):
    cluster.jobs.append({"jid": STARTED_JOB, "name": "visit-windows", "state": "RESTARTING", "start-time": 1})
    cluster.started = JobScript([("RUNNING", 9 + n, None) for n in range(5)], restored=5, failure=UNCOMMITTABLE)

    assert submit_to(cluster, tmp_path) == 1

    assert cluster.cancels() == 1
    assert "restarted 3 times in 0 s after restoring file:/chk-5, without completing" in capsys.readouterr().err


def test_a_loop_after_a_fresh_start_says_so_and_what_to_do():
    message = restart_loop_message(
        STARTED_JOB, None, 4, 12.4, "java.lang.RuntimeException: boom\n\tat x", "cancelled it"
    )
    assert message.startswith(f"job {STARTED_JOB} restarted 4 times in 12 s after starting without a restore, ")
    assert f"more than {TOLERATED_RESTARTS} restarts" in message
    assert (
        "Its latest failure:\njava.lang.RuntimeException: boom\nThe job fails the same way at every restart." in message
    )


def test_the_newest_failure_is_read_from_flink_2_s_history_and_flink_1_s_root_exception():
    history = {
        "exceptionHistory": {
            "entries": [{"stacktrace": "new", "timestamp": 9}, {"stacktrace": "old", "timestamp": 3}],
        }
    }
    assert newest_failure(history) == "new"
    assert newest_failure({"root-exception": "root", "exceptionHistory": {"entries": []}}) == "root"
    assert newest_failure({"exceptionHistory": {"entries": []}}) is None
