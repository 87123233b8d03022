#!/usr/bin/env python3
"""Submits the visit-windows PyFlink job to a Flink session cluster through the REST API.

    python3 submit.py --rest-url http://jobmanager:8081 --job-name visit-windows \\
        [--restore-from latest | --restore-from file:///checkpoints_flink/<job-id>/chk-N] \\
        [--s3-endpoint http://s3:8333 [--s3-path-style true]] \\
        [--timeout-seconds 300] [--parallelism 2] -- <job arguments>

Steps, each bounded by --timeout-seconds overall:
 1. wait until the REST API answers;
 2. if a job with this name is already running: without --restore-from stop here (exit 0), a
    second copy would read the same group and fence the first one's Kafka transactions; with
    --restore-from fail, saying to cancel it first (a restore into a running job cannot happen);
 3. with `--restore-from latest`, choose the newest complete retained checkpoint of the job's
    latest run in the job's own --checkpoint-dir: the checkpoint volume, mounted here, or a bucket
    (s3://, reached at --s3-endpoint with the credentials file mounted here; see checkpoints.py);
 4. wait until the cluster has at least --parallelism free task slots;
 5. upload flink-python-*.jar (the PythonDriver) unless a jar of that name is already uploaded;
 6. run it with `-py <job file> <job arguments>` (and savepointPath when restoring; never
    allowNonRestoredState, so a checkpoint whose state does not map fails loudly);
 7. print the job id on stdout and wait until the job and all its tasks are RUNNING.
stdout carries only the job id (the existing one in step 2); progress and errors go to stderr, a
restore as one line `submit: restoring from <uri> (<why>)`. Standard library only: it runs inside the
Flink image before any job.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from checkpoints import CheckpointSearchError, S3Location, latest_checkpoint, open_storage

PYTHON_DRIVER_CLASS = "org.apache.flink.client.python.PythonDriver"
DEFAULT_JOB_FILE = "/opt/flink/usrlib/jobs/visit_windows_job.py"
DEFAULT_PYTHON_JAR_GLOB = "/opt/flink/opt/flink-python-*.jar"
POLL_SECONDS = 2.0
# --restore-from's value asking for the newest complete retained checkpoint instead of a named one.
RESTORE_LATEST = "latest"

# Job states from which a job still holds (or will again hold) its sources and transactions.
ALIVE_JOB_STATES = {"INITIALIZING", "CREATED", "RUNNING", "RESTARTING", "RECONCILING"}
# States on the way to an end: wait for them to settle before submitting another copy.
ENDING_JOB_STATES = {"CANCELLING", "FAILING", "SUSPENDED"}
FAILED_JOB_STATES = {"FAILED", "CANCELED", "FINISHED"}


class SubmitError(Exception):
    """A failure with a message saying what failed and what to look at."""


# --- arguments ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SubmitOptions:
    rest_url: str
    job_name: str
    # A checkpoint or savepoint URI, RESTORE_LATEST, or None (start without state).
    restore_from: str | None
    # The job's --checkpoint-dir, where RESTORE_LATEST searches.
    checkpoint_dir: str | None
    # How to reach an s3:// checkpoint directory's store; None for a volume.
    s3: S3Location | None
    timeout_seconds: float
    parallelism: int
    job_file: str
    python_jar_glob: str
    job_args: tuple[str, ...]


class _RaisingArgumentParser(argparse.ArgumentParser):
    def error(self, message: str):
        raise SubmitError(f"{self.prog}: {message}")


def _positive(kind):
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a positive number, got {text!r}") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be positive, got {text!r}")
        return value

    return parse


def _option_value(args: Sequence[str], name: str) -> str | None:
    """The value of `name` in an argument list (`--name value` or `--name=value`), last one wins."""
    value = None
    for index, arg in enumerate(args):
        if arg == name and index + 1 < len(args):
            value = args[index + 1]
        elif arg.startswith(name + "="):
            value = arg[len(name) + 1 :]
    return value


def reconcile_job_args(job_args: Sequence[str], job_name: str, parallelism: int) -> tuple[str, ...]:
    """The job arguments, carrying the same job name and parallelism as the submission.

    The job names itself from its own --job-name, and this script finds a running copy by that
    name; they must agree or the "already running" check would look for the wrong job.
    """
    reconciled = list(job_args)
    for name, wanted in (("--job-name", job_name), ("--parallelism", str(parallelism))):
        given = _option_value(reconciled, name)
        if given is None:
            reconciled += [name, wanted]
        elif given != wanted:
            raise SubmitError(
                f"job argument {name} {given!r} differs from the submission's {name} {wanted!r}; "
                f"give the same value to both, or leave it out after '--'"
            )
    return tuple(reconciled)


def parse_submit_args(argv: Sequence[str]) -> SubmitOptions:
    argv = list(argv)
    if "--" in argv:
        split = argv.index("--")
        own_args, job_args = argv[:split], argv[split + 1 :]
    else:
        own_args, job_args = argv, []

    parser = _RaisingArgumentParser(
        prog="submit.py",
        description="Submit the visit-windows PyFlink job to a Flink session cluster (REST API).",
        epilog="Arguments after '--' are passed to the job.",
    )
    parser.add_argument("--rest-url", required=True, help="e.g. http://jobmanager:8081")
    parser.add_argument("--job-name", required=True)
    parser.add_argument(
        "--restore-from",
        help=f"checkpoint or savepoint path to restore the job's state from, or "
        f"'{RESTORE_LATEST}': the newest complete retained checkpoint of the job's latest run",
    )
    parser.add_argument(
        "--s3-endpoint", help="with an s3:// --checkpoint-dir: the store's endpoint (Flink's s3.endpoint)"
    )
    parser.add_argument("--s3-path-style", choices=["true", "false"], default="true", help="s3.path.style.access")
    parser.add_argument("--timeout-seconds", type=_positive(float), default=300.0)
    parser.add_argument("--parallelism", type=_positive(int), default=2)
    parser.add_argument("--job-file", default=DEFAULT_JOB_FILE)
    parser.add_argument(
        "--python-jar",
        dest="python_jar_glob",
        default=DEFAULT_PYTHON_JAR_GLOB,
        help="path or glob of Flink's flink-python jar",
    )
    args = parser.parse_args(own_args)

    rest_url = args.rest_url.strip().rstrip("/")
    if not rest_url.startswith(("http://", "https://")):
        raise SubmitError(f"--rest-url must start with http:// or https://, got {args.rest_url!r}")
    if not args.job_name.strip():
        raise SubmitError("--job-name must not be empty")
    restore_from = args.restore_from.strip() if args.restore_from else None
    if args.restore_from is not None and not restore_from:
        raise SubmitError("--restore-from must not be empty; leave it out to start without state")
    checkpoint_dir = _option_value(job_args, "--checkpoint-dir")
    if restore_from == RESTORE_LATEST and not checkpoint_dir:
        raise SubmitError(
            f"--restore-from {RESTORE_LATEST} searches the job's checkpoint directory: "
            "give the job argument --checkpoint-dir file:///… after '--'"
        )

    return SubmitOptions(
        rest_url=rest_url,
        job_name=args.job_name.strip(),
        restore_from=restore_from,
        checkpoint_dir=checkpoint_dir,
        s3=S3Location(args.s3_endpoint, args.s3_path_style == "true") if args.s3_endpoint else None,
        timeout_seconds=args.timeout_seconds,
        parallelism=args.parallelism,
        job_file=args.job_file,
        python_jar_glob=args.python_jar_glob,
        job_args=reconcile_job_args(job_args, args.job_name.strip(), args.parallelism),
    )


# --- pure pieces of the REST conversation ---------------------------------------------------------------


def run_request_body(options: SubmitOptions, savepoint_path: str | None) -> dict:
    """The body of POST /jars/:id/run for the PythonDriver, restoring from savepoint_path unless None."""
    body = {
        "entryClass": PYTHON_DRIVER_CLASS,
        "programArgsList": ["-py", options.job_file, *options.job_args],
        "parallelism": options.parallelism,
    }
    if savepoint_path:
        body["savepointPath"] = savepoint_path
        # Said out loud: every piece of state in the checkpoint must find its operator (by uid).
        body["allowNonRestoredState"] = False
    return body


def multipart_jar_body(jar_name: str, jar_bytes: bytes, boundary: str) -> bytes:
    """multipart/form-data with the single `jarfile` part that POST /jars/upload expects."""
    head = (
        f"--{boundary}\r\n"
        f'Content-Disposition: form-data; name="jarfile"; filename="{jar_name}"\r\n'
        "Content-Type: application/x-java-archive\r\n\r\n"
    ).encode()
    return head + jar_bytes + f"\r\n--{boundary}--\r\n".encode()


def uploaded_jar_id(jars_listing: dict, jar_name: str) -> str | None:
    """The id of the most recently uploaded jar with this file name in a GET /jars answer."""
    matching = [jar for jar in jars_listing.get("files", []) if jar.get("name") == jar_name]
    if not matching:
        return None
    return max(matching, key=lambda jar: jar.get("uploaded", 0))["id"]


def jobs_named(jobs_overview: dict, job_name: str) -> list[dict]:
    """The jobs with this name in a GET /jobs/overview answer, newest first."""
    jobs = [job for job in jobs_overview.get("jobs", []) if job.get("name") == job_name]
    return sorted(jobs, key=lambda job: job.get("start-time", 0), reverse=True)


def running_job_problem(alive_job: dict, options: SubmitOptions) -> str:
    """Why a restore cannot go ahead while a job of the same name is alive, and what to do."""
    return (
        f"a job named '{options.job_name}' is {alive_job['state']} ({alive_job['jid']}); a restore "
        f"(--restore-from {options.restore_from}) starts a new job, so cancel that one first (in the Flink UI, "
        f"or PATCH /jobs/{alive_job['jid']}?mode=cancel on the REST API), then submit again"
    )


def restore_path(options: SubmitOptions, jobs_overview: dict) -> tuple[str | None, str]:
    """The checkpoint to restore from (None: start without state) and why it was chosen."""
    if options.restore_from != RESTORE_LATEST:
        return options.restore_from, "named by --restore-from"
    cluster_jobs = {job["jid"]: job.get("name", "") for job in jobs_overview.get("jobs", [])}
    try:
        choice = latest_checkpoint(
            open_storage(options.checkpoint_dir or "", options.s3), options.job_name, cluster_jobs
        )
    except CheckpointSearchError as error:
        raise SubmitError(f"--restore-from {RESTORE_LATEST}: {error}") from None
    return choice.checkpoint.uri, choice.reason


def exception_summary(stack_trace: str) -> str:
    """The headline and every "Caused by" line of a Java stack trace; the last line is the root cause."""
    lines = [line.strip() for line in stack_trace.splitlines() if line.strip()]
    if not lines:
        return "(no exception text)"
    causes = [line for line in lines[1:] if line.startswith("Caused by:")]
    return "\n".join([lines[0], *causes])


def flink_error_text(payload) -> str:
    """Flink answers errors as {"errors": [...]}; the last entry usually holds the root cause."""
    if isinstance(payload, dict) and payload.get("errors"):
        return "\n".join(str(error) for error in payload["errors"])
    return json.dumps(payload) if payload is not None else "(no response body)"


# --- talking to Flink ------------------------------------------------------------------------------------


def log(message: str) -> None:
    print(f"submit: {message}", file=sys.stderr, flush=True)


class FlinkRest:
    def __init__(self, base_url: str, deadline: float):
        self.base_url = base_url
        self.deadline = deadline

    def seconds_left(self) -> float:
        return self.deadline - time.monotonic()

    def call(self, method: str, path: str, body: bytes | None = None, content_type: str | None = None):
        request = urllib.request.Request(self.base_url + path, data=body, method=method)
        if content_type:
            request.add_header("Content-Type", content_type)
        # Never wait on one call longer than the whole submission may take; at least a few seconds.
        timeout = max(5.0, self.seconds_left())
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                text = response.read().decode()
        except urllib.error.HTTPError as error:
            text = error.read().decode(errors="replace")
            try:
                payload = json.loads(text)
            except ValueError:
                payload = text
            raise SubmitError(
                f"{method} {self.base_url}{path} was rejected with HTTP {error.code}:\n{flink_error_text(payload)}"
            ) from None
        return json.loads(text) if text else None

    def get(self, path: str):
        return self.call("GET", path)

    def post_json(self, path: str, payload: dict):
        return self.call("POST", path, json.dumps(payload).encode(), "application/json")


def wait_until(what: str, check, rest: FlinkRest, retry_on: tuple[type, ...] = ()):
    """Polls check() until it returns something other than None, or fails naming what was awaited.
    Network errors count as "not yet"; so do the exception types in retry_on."""
    last_problem = None
    while True:
        try:
            result = check()
        except (OSError, *retry_on) as error:  # URLError, refused connections and timeouts are OSErrors
            result, last_problem = None, error
        if result is not None:
            return result
        if rest.seconds_left() <= 0:
            detail = f" (last error: {last_problem})" if last_problem else ""
            raise SubmitError(f"timed out waiting for {what}{detail}")
        time.sleep(min(POLL_SECONDS, max(0.1, rest.seconds_left())))


def find_python_jar(pattern: str) -> str:
    candidates = sorted(glob.glob(pattern))
    if not candidates:
        raise SubmitError(f"no flink-python jar matches {pattern}; it ships in Flink's opt/ folder")
    return candidates[-1]


def ensure_jar_uploaded(rest: FlinkRest, jar_path: str) -> str:
    jar_name = os.path.basename(jar_path)
    existing = uploaded_jar_id(rest.get("/jars"), jar_name)
    if existing:
        log(f"reusing the uploaded {jar_name} ({existing})")
        return existing
    boundary = uuid.uuid4().hex
    with open(jar_path, "rb") as jar_file:
        body = multipart_jar_body(jar_name, jar_file.read(), boundary)
    answer = rest.call("POST", "/jars/upload", body, f"multipart/form-data; boundary={boundary}")
    if not answer or answer.get("status") != "success":
        raise SubmitError(f"uploading {jar_path} failed: {flink_error_text(answer)}")
    jar_id = os.path.basename(answer["filename"])
    log(f"uploaded {jar_name} as {jar_id}")
    return jar_id


def job_problem(rest: FlinkRest, job_id: str) -> str:
    try:
        exceptions = rest.get(f"/jobs/{job_id}/exceptions")
    except SubmitError as error:
        return str(error)
    root = (exceptions or {}).get("root-exception")
    return exception_summary(root) if root else "Flink reported no exception"


def run_job(
    rest: FlinkRest, options: SubmitOptions, savepoint_path: str | None, jar_id: str, known_job_ids: set
) -> str:
    """Runs the jar; on rejection adds the reason of the job Flink created and failed, if any.

    The PythonDriver reports only "Python process exits with code: 1" through REST; the actual
    cause (say, a checkpoint path that does not exist) is in the failed job's exception history.
    """
    try:
        answer = rest.post_json(f"/jars/{jar_id}/run", run_request_body(options, savepoint_path))
    except SubmitError as rejection:
        try:
            failed = [
                job
                for job in jobs_named(rest.get("/jobs/overview"), options.job_name)
                if job["jid"] not in known_job_ids
            ]
        except (SubmitError, OSError):
            failed = []
        if not failed:
            raise
        reason = job_problem(rest, failed[0]["jid"])
        raise SubmitError(
            f"{rejection}\n\nFlink created job {failed[0]['jid']}, which is {failed[0]['state']} because:\n{reason}"
        ) from None
    return answer["jobid"]


def wait_until_running(rest: FlinkRest, job_id: str) -> None:
    def running():
        job = rest.get(f"/jobs/{job_id}")
        state = job.get("state")
        if state in FAILED_JOB_STATES:
            raise SubmitError(f"job {job_id} ended as {state}:\n{job_problem(rest, job_id)}")
        tasks = [vertex.get("status") for vertex in job.get("vertices", [])]
        if state == "RUNNING" and tasks and all(status == "RUNNING" for status in tasks):
            return True
        return None

    wait_until(f"job {job_id} and all its tasks to be RUNNING", running, rest)


def submit(options: SubmitOptions) -> str:
    rest = FlinkRest(options.rest_url, time.monotonic() + options.timeout_seconds)

    log(f"waiting for the Flink REST API at {options.rest_url}")
    # A JobManager that is still starting may answer 5xx (no leader yet) before it answers properly.
    wait_until(
        f"the Flink REST API at {options.rest_url}/overview",
        lambda: rest.get("/overview"),
        rest,
        retry_on=(SubmitError,),
    )

    def no_job_ending():
        jobs = jobs_named(rest.get("/jobs/overview"), options.job_name)
        if any(job["state"] in ENDING_JOB_STATES for job in jobs):
            return None
        return jobs

    jobs = wait_until(f"earlier '{options.job_name}' jobs to finish cancelling or failing", no_job_ending, rest)
    alive = [job for job in jobs if job["state"] in ALIVE_JOB_STATES]
    if alive and options.restore_from:
        raise SubmitError(running_job_problem(alive[0], options))
    if alive:
        log(
            f"a job named '{options.job_name}' is already {alive[0]['state']} ({alive[0]['jid']}); not submitting another"
        )
        print(alive[0]["jid"], flush=True)
        return alive[0]["jid"]

    savepoint_path, why = restore_path(options, rest.get("/jobs/overview"))
    if savepoint_path:
        log(f"restoring from {savepoint_path} ({why})")

    def enough_free_slots():
        free = rest.get("/overview").get("slots-available", 0)
        return free if free >= options.parallelism else None

    log(f"waiting for {options.parallelism} free task slots")
    wait_until(f"{options.parallelism} free task slots (are the TaskManagers up?)", enough_free_slots, rest)

    jar_id = ensure_jar_uploaded(rest, find_python_jar(options.python_jar_glob))
    log(f"running {options.job_file} as '{options.job_name}'")
    job_id = run_job(rest, options, savepoint_path, jar_id, known_job_ids={job["jid"] for job in jobs})
    print(job_id, flush=True)

    wait_until_running(rest, job_id)
    log(f"job {job_id} is RUNNING")
    return job_id


def main(argv: Sequence[str]) -> int:
    try:
        submit(parse_submit_args(argv))
    except SubmitError as error:
        log(f"FAILED: {error}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
