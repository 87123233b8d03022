#!/usr/bin/env python3
"""Submits the visit-windows PyFlink job to a Flink session cluster through the REST API.

    python3 submit.py --rest-url http://jobmanager:8081 --job-name visit-windows \\
        [--restore-from latest | --restore-from file:///checkpoints_flink/<job-id>/chk-N] \\
        [--s3-endpoint http://s3:8333 [--s3-path-style true]] \\
        [--timeout-seconds 300] [--parallelism 2] \\
        [--flink-line 2.2 --checkpoint-formats 1.20=4,2.2=6 --python-execution-mode thread] -- <job arguments>

Steps, each bounded by --timeout-seconds overall:
 1. wait until the REST API answers;
 2. if a job with this name is already running: without --restore-from stop here (exit 0), a
    second copy would read the same group and fence the first one's Kafka transactions; with
    --restore-from fail, saying to cancel it first (a restore into a running job cannot happen);
 3. with `--restore-from latest`, choose the newest complete retained checkpoint of the job's
    latest run in the job's own --checkpoint-dir: the checkpoint volume, mounted here, or a bucket
    (s3://, reached at --s3-endpoint with the credentials file mounted here; see checkpoints.py);
 4. refuse a checkpoint or savepoint this cluster cannot restore without failing or losing state: one written by a
    newer Flink line than --flink-line, or in another python execution mode (checkpoint_origin.py);
 5. wait until the cluster has at least --parallelism free task slots;
 6. upload flink-python-*.jar (the PythonDriver) unless a jar of that name is already uploaded;
 7. run it with `-py <job file> <job arguments>` (and savepointPath when restoring; never
    allowNonRestoredState, so a checkpoint whose state does not map fails loudly);
 8. print the job id on stdout and wait until the job and all its tasks are RUNNING, then until it has completed a
    checkpoint of its own (one newer than the one it restored): only then is it known to run. A job that restarts more
    than TOLERATED_RESTARTS times before that (a restore that can only loop: its state holds what this cluster cannot
    take up, such as Kafka transactions another broker wrote) is cancelled, and the submission fails naming the
    restore, the restarts and the job's failure; so is one that completes no checkpoint within two checkpoint
    intervals of running (--checkpoint-interval-ms of the job arguments). A job of this name that was already alive
    (step 2) is watched the same way.
Every REST call that fails transiently (refused or no connection, no answer in time, a 5xx answer) is made
again until the deadline, each retry said on stderr; a 4xx answer is final. A write is never repeated blindly:
an upload that got no answer is looked for among the uploaded jars, and a run that got no answer is looked for
among the jobs (for a while: the PythonDriver may still be building it) before either is made again.
stdout carries only the job id (the existing one in step 2); progress and errors go to stderr, a
restore as one line `submit: restoring from <uri> (<why>)`. Standard library only: it runs inside the
Flink image before any job.
"""

from __future__ import annotations

import argparse
import glob
import http.client
import json
import os
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from checkpoint_origin import (
    EXECUTION_MODES,
    METADATA_FILE,
    Runtime,
    local_folder,
    origin_of,
    origin_text,
    parse_formats,
    restore_problem,
)
from checkpoints import S3_URI_PREFIX, CheckpointSearchError, S3Location, latest_checkpoint, open_storage
from visits_logic import JobArgumentError, parse_job_args

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
    # The cluster that restores (the stack passes it): its Flink line, the format each line writes, its
    # python.execution-mode. Without a line and formats nothing is checked before a restore.
    flink_line: str | None = None
    checkpoint_formats: Mapping[str, int] | None = None
    python_execution_mode: str | None = None
    # The job's checkpoint interval (its --checkpoint-interval-ms), which bounds the wait for its first checkpoint.
    checkpoint_interval_ms: int = 20_000


class SubmitUsageError(SubmitError):
    """An argument the submission cannot run with; the message names it, its value and what is allowed."""


class _RaisingArgumentParser(argparse.ArgumentParser):
    def error(self, message: str):
        raise SubmitUsageError(f"{self.prog}: {message}")


# A day: any submission that takes longer has failed; beyond it, timers and sleeps lose their meaning.
MAX_TIMEOUT_SECONDS = 86_400
# Flink's upper bound for a job's maximum parallelism.
MAX_PARALLELISM = 32_768


def _bounded(kind, low, high: int, what: str):
    """An argparse type: a plain decimal `kind` (no sign, exponent, nan or inf) from low to high."""
    pattern = r"[0-9]+" if kind is int else r"[0-9]+(\.[0-9]+)?"

    def parse(text: str):
        if not re.fullmatch(pattern, text) or not low <= kind(text) <= high:
            raise argparse.ArgumentTypeError(f"{text!r} is not allowed: {what} from {low} to {high}")
        return kind(text)

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
            raise SubmitUsageError(
                f"job argument {name} {given!r} differs from the submission's {name} {wanted!r}; "
                f"give the same value to both, or leave it out after '--'"
            )
    return tuple(reconciled)


def _has_host_and_port(url: str) -> bool:
    """Whether urllib can make a request of `url`: a host, and a port (if any) from 1 to 65535."""
    try:
        parts = urllib.parse.urlsplit(url)
        return bool(parts.hostname) and (parts.port is None or parts.port > 0)
    except ValueError:  # a port that is not a number or out of range
        return False


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
    parser.add_argument(
        "--timeout-seconds", type=_bounded(float, 1, MAX_TIMEOUT_SECONDS, "a number of seconds"), default=300.0
    )
    parser.add_argument("--parallelism", type=_bounded(int, 1, MAX_PARALLELISM, "a whole number"), default=2)
    parser.add_argument("--job-file", default=DEFAULT_JOB_FILE)
    parser.add_argument(
        "--python-jar",
        dest="python_jar_glob",
        default=DEFAULT_PYTHON_JAR_GLOB,
        help="path or glob of Flink's flink-python jar",
    )
    parser.add_argument(
        "--flink-line", help="the cluster's Flink line (e.g. 2.2): a newer line's checkpoint is refused"
    )
    parser.add_argument(
        "--checkpoint-formats", help="the metadata format each Flink line writes, e.g. 1.20=4,2.2=6 (versions.json)"
    )
    parser.add_argument(
        "--python-execution-mode",
        choices=EXECUTION_MODES,
        help="the cluster's python.execution-mode: a checkpoint written in the other mode is refused",
    )
    args = parser.parse_args(own_args)
    try:
        formats = parse_formats(args.checkpoint_formats) if args.checkpoint_formats else None
    except ValueError as error:
        raise SubmitUsageError(str(error)) from None
    if formats is not None and args.flink_line not in formats:
        raise SubmitUsageError(
            f"--flink-line {args.flink_line!r} is not one of the lines of --checkpoint-formats ({', '.join(formats)})"
        )

    rest_url = args.rest_url.strip().rstrip("/")
    if not rest_url.startswith(("http://", "https://")) or not _has_host_and_port(rest_url):
        raise SubmitUsageError(
            f"--rest-url {args.rest_url!r} is not allowed: an http:// or https:// URL with a host and an optional port, "
            "such as http://jobmanager:8081"
        )
    if not args.job_name.strip():
        raise SubmitUsageError("--job-name must not be empty")
    restore_from = args.restore_from.strip() if args.restore_from else None
    if args.restore_from is not None and not restore_from:
        raise SubmitUsageError("--restore-from must not be empty; leave it out to start without state")
    checkpoint_dir = _option_value(job_args, "--checkpoint-dir")
    if restore_from == RESTORE_LATEST and not checkpoint_dir:
        raise SubmitUsageError(
            f"--restore-from {RESTORE_LATEST} searches the job's checkpoint directory: "
            "give the job argument --checkpoint-dir file:///… after '--'"
        )

    reconciled_job_args = reconcile_job_args(job_args, args.job_name.strip(), args.parallelism)
    try:
        job_config = parse_job_args(reconciled_job_args)
    except JobArgumentError as error:
        raise SubmitUsageError(f"job arguments after '--': {error}") from None

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
        job_args=reconciled_job_args,
        flink_line=args.flink_line,
        checkpoint_formats=formats,
        python_execution_mode=args.python_execution_mode,
        checkpoint_interval_ms=job_config.checkpoint_interval_ms,
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


def restore_check(options: SubmitOptions, savepoint_path: str) -> tuple[str | None, str | None]:
    """(why the cluster cannot restore `savepoint_path`, what wrote it), each None when not known. Read from the
    checkpoint's folder on the volume mounted here, or in the bucket; one that is not there is left to Flink to report."""
    if not options.checkpoint_formats:
        return None, None
    if savepoint_path.startswith(S3_URI_PREFIX):
        if options.s3 is None:
            return None, None
        folder = savepoint_path.rstrip("/").removesuffix("/" + METADATA_FILE)
        try:
            origin = open_storage(folder.rsplit("/", 1)[0], options.s3).origin(folder, options.checkpoint_formats)
        except CheckpointSearchError:
            return None, None
        if origin.format is None:
            return None, None
    else:
        folder = local_folder(savepoint_path)
        if not os.path.isfile(os.path.join(folder, METADATA_FILE)):
            return None, None
        origin = origin_of(folder, options.checkpoint_formats)
    runtime = Runtime(options.flink_line or "", options.checkpoint_formats, options.python_execution_mode)
    problem = restore_problem(origin, runtime)
    return (f"refusing to restore from {savepoint_path}: {problem.message}" if problem else None), origin_text(origin)


def exception_summary(stack_trace: str) -> str:
    """The headline and every "Caused by" line of a Java stack trace; the last line is the root cause."""
    lines = [line.strip() for line in stack_trace.splitlines() if line.strip()]
    if not lines:
        return "(no exception text)"
    causes = [line for line in lines[1:] if line.startswith("Caused by:")]
    return "\n".join([lines[0], *causes])


def newest_failure(exceptions: dict | None) -> str | None:
    """The stack trace of a job's newest failure in a GET /jobs/:id/exceptions answer: the newest entry of its
    exceptionHistory, or the root-exception of Flink 1.x; None when Flink reports none."""
    entries = history_entries(exceptions)
    if entries:
        return max(entries, key=lambda entry: entry.get("timestamp", 0)).get("stacktrace") or None
    return (exceptions or {}).get("root-exception") or None


def history_entries(exceptions: dict | None) -> list[dict]:
    """The failures a GET /jobs/:id/exceptions answer lists, each a restart of the job (or its end)."""
    return list(((exceptions or {}).get("exceptionHistory") or {}).get("entries") or [])


def failure_key(entry: dict) -> tuple:
    """What tells one failure of the exception history from another."""
    return entry.get("timestamp"), entry.get("exceptionName"), entry.get("taskName")


def checkpoint_since_restore(checkpoints: dict | None) -> dict | None:
    """The job's latest completed checkpoint when it is newer than the checkpoint it restored (any, when it restored
    none), from a GET /jobs/:id/checkpoints answer; None while the job has completed no checkpoint of its own since.
    Checkpoint ids go on from the restored one's, so a job that restored after a failure needs a newer one again."""
    latest = (checkpoints or {}).get("latest") or {}
    completed, restored = latest.get("completed"), latest.get("restored")
    if not completed:
        return None
    return completed if not restored or completed.get("id", 0) > restored.get("id", 0) else None


def restored_path(checkpoints: dict | None) -> str | None:
    """Where the job restored its state from, from a GET /jobs/:id/checkpoints answer; None when it restored none."""
    return (((checkpoints or {}).get("latest") or {}).get("restored") or {}).get("external_path")


# The committer of the exactly-once Kafka sink commits the transactions a checkpoint holds when the job restores it;
# this is its message when the broker does not have them.
UNCOMMITTABLE_TRANSACTION = "Failed to commit KafkaCommittable"


def loop_advice(failure: str, restore_source: str | None) -> str:
    """What to do instead of submitting again, for a job that failed at every restart with `failure`."""
    if restore_source and UNCOMMITTABLE_TRANSACTION in failure:
        return (
            "The checkpoint holds Kafka transactions of the exactly-once sink that this stack's broker cannot commit: "
            "it was written against another broker (a copied volume, a restored backup), or the broker no longer has "
            "them (expired after transactional.id.expiration.ms). Instead: start without restoreFrom "
            "(pulumi config rm restoreFrom: the job reads from the earliest offsets), or restore a checkpoint or "
            "savepoint this stack's broker wrote (npm run checkpoints -- list)."
        )
    if restore_source:
        return (
            "The job fails the same way at every restore of this state. Instead: read the failure above, then restore "
            "another checkpoint or savepoint (npm run checkpoints -- list), or start without restoreFrom "
            "(pulumi config rm restoreFrom: the job reads from the earliest offsets)."
        )
    return (
        "The job fails the same way at every restart. Instead: read the failure above and the TaskManagers' logs, "
        "fix its cause and submit again."
    )


def restart_loop_message(
    job_id: str, restore_source: str | None, restarts: int, seconds: float, failure: str, cancelled: str
) -> str:
    """The failure of a submission whose job restarted more than it may before its first checkpoint."""
    restored = f"after restoring {restore_source}" if restore_source else "after starting without a restore"
    return (
        f"job {job_id} restarted {restarts} times in {seconds:.0f} s {restored}, without completing a checkpoint "
        f"(more than {TOLERATED_RESTARTS} restarts: not a transient failure, a restart loop). Its latest failure:\n"
        f"{exception_summary(failure)}\n"
        f"{loop_advice(failure, restore_source)}\n"
        f"So that nothing is left restarting, the submission {cancelled}"
    )


def flink_error_text(payload) -> str:
    """Flink answers errors as {"errors": [...]}; the last entry usually holds the root cause."""
    if isinstance(payload, dict) and payload.get("errors"):
        return "\n".join(str(error) for error in payload["errors"])
    return json.dumps(payload) if payload is not None else "(no response body)"


# --- talking to Flink ------------------------------------------------------------------------------------

# How long one REST call may take before it counts as a transient failure and is tried again (each bounded by what
# is left of --timeout-seconds). A run builds the job graph in the JobManager's PythonDriver first: give it longer.
REQUEST_TIMEOUT_SECONDS = 30.0
UPLOAD_TIMEOUT_SECONDS = 120.0
RUN_TIMEOUT_SECONDS = 180.0
# After a run request that got no answer, how long to look for the job it may have started before running again.
RUN_SETTLE_SECONDS = 30.0
# The answers to a run request that say nothing about the job: no leader yet, or a proxy without the JobManager.
# (None: no answer at all.)
RETRIED_RUN_STATUSES = (None, 502, 503, 504)
# While retrying one call, how often to say so again.
RETRY_REPORT_SECONDS = 10.0


def log(message: str) -> None:
    print(f"submit: {message}", file=sys.stderr, flush=True)


class TransientFailure(Exception):
    """A REST call that may succeed when made again: no connection, no answer in time, or a 5xx answer."""

    def __init__(self, message: str, reached: bool, status: int | None = None):
        super().__init__(message)
        # Whether the request may have reached the JobManager (and a write have taken effect).
        self.reached = reached
        # The HTTP status of a 5xx answer; None when there was no answer.
        self.status = status


def _reason(error: BaseException) -> str:
    reason = getattr(error, "reason", None) or error
    return "timed out" if isinstance(reason, TimeoutError) else str(reason) or type(reason).__name__


class FlinkRest:
    def __init__(self, base_url: str, deadline: float):
        self.base_url = base_url
        self.deadline = deadline

    def seconds_left(self) -> float:
        return self.deadline - time.monotonic()

    def call_once(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        content_type: str | None = None,
        timeout: float = REQUEST_TIMEOUT_SECONDS,
    ):
        """One request: its JSON answer; TransientFailure when it may succeed if made again, SubmitError when the
        JobManager refused it (4xx) or answered what is not JSON."""
        url = self.base_url + path
        request = urllib.request.Request(url, data=body, method=method)
        if content_type:
            request.add_header("Content-Type", content_type)
        # Near the deadline, still a second (or the whole timeout, if shorter) for a last try.
        timeout = max(min(1.0, timeout), min(timeout, self.seconds_left()))
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                text = response.read().decode()
        except urllib.error.HTTPError as error:
            text = error.read().decode(errors="replace")
            try:
                payload = json.loads(text)
            except ValueError:
                payload = text
            message = f"{method} {url} was rejected with HTTP {error.code}:\n{flink_error_text(payload)}"
            if error.code >= 500:
                raise TransientFailure(message, reached=True, status=error.code) from None
            raise SubmitError(message) from None
        except urllib.error.URLError as error:
            # The connection was never made (refused, no route, no such host) unless the reason is a timeout.
            reached = isinstance(error.reason, TimeoutError)
            raise TransientFailure(f"{method} {url} failed: {_reason(error)}", reached=reached) from None
        except (OSError, http.client.HTTPException) as error:  # timed out or cut off while the answer came
            raise TransientFailure(f"{method} {url} failed: {_reason(error)}", reached=True) from None
        try:
            return json.loads(text) if text else None
        except ValueError:
            raise SubmitError(
                f"{method} {url} answered something that is not JSON: {text[:200]!r}; is {self.base_url} Flink's REST API?"
            ) from None

    def retrying(self, what: str, attempt, recovered=None):
        """attempt() again after each transient failure until the deadline, saying what was retried and why.

        recovered(failure), when given, runs before each retry and may return what a failed write achieved after
        all (the jar uploaded, the job started): that is returned instead of writing again.
        """
        attempts, last_report = 1, time.monotonic()
        while True:
            try:
                return attempt()
            except TransientFailure as failure:
                if recovered is not None:
                    found = recovered(failure)
                    if found is not None:
                        return found
                if self.seconds_left() <= 0:
                    raise SubmitError(
                        f"{what} failed {attempts} time{'s' if attempts != 1 else ''} until --timeout-seconds ran out; "
                        f"the last: {failure}"
                    ) from None
                if attempts == 1 or time.monotonic() - last_report >= RETRY_REPORT_SECONDS:
                    log(f"retrying {what} (attempt {attempts + 1}): {failure}")
                    last_report = time.monotonic()
                attempts += 1
                time.sleep(min(POLL_SECONDS, max(0.1, self.seconds_left())))

    def get(self, path: str):
        """A read, repeated after transient failures until the deadline."""
        return self.retrying(f"GET {path}", lambda: self.call_once("GET", path))


def wait_until(what: str, check, rest: FlinkRest):
    """Polls check() until it returns something other than None, or fails naming what was awaited."""
    while True:
        result = check()
        if result is not None:
            return result
        if rest.seconds_left() <= 0:
            raise SubmitError(f"timed out waiting for {what}")
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
    try:
        with open(jar_path, "rb") as jar_file:
            body = multipart_jar_body(jar_name, jar_file.read(), boundary)
    except OSError as error:
        raise SubmitError(f"cannot read {jar_path}: {error.strerror}") from None

    def upload():
        answer = rest.call_once(
            "POST", "/jars/upload", body, f"multipart/form-data; boundary={boundary}", timeout=UPLOAD_TIMEOUT_SECONDS
        )
        if not isinstance(answer, dict) or answer.get("status") != "success" or not answer.get("filename"):
            raise SubmitError(f"uploading {jar_path} failed: {flink_error_text(answer)}")
        return os.path.basename(answer["filename"])

    def uploaded_after_all(failure: TransientFailure) -> str | None:
        # An upload that got no answer may have been stored: use it rather than store a second copy.
        found = uploaded_jar_id(rest.get("/jars"), jar_name) if failure.reached else None
        if found:
            log(f"the upload of {jar_name} got no answer ({failure}), but Flink has it as {found}; using that")
        return found

    jar_id = rest.retrying("POST /jars/upload", upload, uploaded_after_all)
    log(f"uploaded {jar_name} as {jar_id}")
    return jar_id


def job_problem(rest: FlinkRest, job_id: str) -> str:
    try:
        exceptions = rest.get(f"/jobs/{job_id}/exceptions")
    except SubmitError as error:
        return str(error)
    failure = newest_failure(exceptions)
    return exception_summary(failure) if failure else "Flink reported no exception"


def new_jobs_named(rest: FlinkRest, job_name: str, known_job_ids: set) -> list[dict]:
    """The jobs of this name that were not there before this submission ran its job, newest first."""
    return [job for job in jobs_named(rest.get("/jobs/overview"), job_name) if job["jid"] not in known_job_ids]


def run_job(
    rest: FlinkRest, options: SubmitOptions, savepoint_path: str | None, jar_id: str, known_job_ids: set
) -> str:
    """Runs the jar; on rejection adds the reason of the job Flink created and failed, if any.

    The PythonDriver reports only "Python process exits with code: 1" through REST; the actual
    cause (say, a checkpoint path that does not exist) is in the failed job's exception history.
    A run request that got no answer may still have started the job: before running again, this looks
    for a new job of that name for a while, and takes it rather than start a second copy (which would
    read the same group and fence the first one's Kafka transactions).
    """
    path = f"/jars/{jar_id}/run"

    def run():
        body = json.dumps(run_request_body(options, savepoint_path)).encode()
        try:
            answer = rest.call_once("POST", path, body, "application/json", timeout=RUN_TIMEOUT_SECONDS)
        except TransientFailure as failure:
            # A 500 is the program failing in the PythonDriver: the same run fails the same way again.
            if failure.status not in RETRIED_RUN_STATUSES:
                raise SubmitError(str(failure)) from None
            raise
        if not isinstance(answer, dict) or not answer.get("jobid"):
            raise SubmitError(f"POST {rest.base_url}{path} answered without a job id: {json.dumps(answer)}")
        return answer["jobid"]

    def started_after_all(failure: TransientFailure) -> str | None:
        settle_until = time.monotonic() + (
            min(RUN_SETTLE_SECONDS, max(0.0, rest.seconds_left())) if failure.reached else 0
        )
        while True:
            started = new_jobs_named(rest, options.job_name, known_job_ids)
            if started:
                log(
                    f"the run request got no answer ({failure}), but Flink started job {started[0]['jid']} "
                    f"({started[0]['state']}); following that one instead of starting a second copy"
                )
                return started[0]["jid"]
            if time.monotonic() >= settle_until:
                return None
            time.sleep(POLL_SECONDS)

    try:
        return rest.retrying(f"POST {path}", run, started_after_all)
    except SubmitError as rejection:
        try:
            failed = new_jobs_named(rest, options.job_name, known_job_ids)
        except SubmitError:
            failed = []
        if not failed:
            raise
        reason = job_problem(rest, failed[0]["jid"])
        raise SubmitError(
            f"{rejection}\n\nFlink created job {failed[0]['jid']}, which is {failed[0]['state']} because:\n{reason}"
        ) from None


# Restarts before the job's first checkpoint that are still taken for transients: a broker or TaskManager that is
# slow to answer right after the start, and, from the same cause, the restart of the other pipelined region. A
# restore that can only loop fails the same way after every restart (with the stack's backoff of 1 s growing by half,
# the third comes some 5 s after the first): a third restart without a checkpoint in between is a loop. (The check
# that ends `pulumi up`, infra/jobCheck.ts, judges a loop by the same count.)
TOLERATED_RESTARTS = 2
# Flink triggers a job's first checkpoint at a random moment within one interval of its tasks running; one more
# interval covers a first checkpoint declined while the last tasks started, the slack one aligning behind a backlog.
CHECKPOINT_WAIT_INTERVALS = 2
CHECKPOINT_WAIT_SLACK_SECONDS = 30.0
# With an interval too long to await a checkpoint before --timeout-seconds: how long to watch the running job for
# restarts instead (a loop restarts within seconds, the stack's longest backoff is 30 s).
LOOP_WATCH_SECONDS = 60.0
# How long a cancel of a job the submission gives up on may take, on top of --timeout-seconds.
CANCEL_TIMEOUT_SECONDS = 30.0
RESTARTING_JOB_STATES = {"FAILING", "RESTARTING"}


class JobWatch:
    """What the submission saw of a job while it waited for the job to run and complete a checkpoint."""

    def __init__(self, known_failures: set):
        self.started = time.monotonic()
        # The failures already in the job's exception history (an alive job found, not submitted): not restarts seen.
        self.known_failures = known_failures
        self.failures: list[dict] = []
        self.restarts_by_state = 0
        self.state: str | None = None
        self.running_since: float | None = None

    def observe(self, job: dict, exceptions: dict | None) -> None:
        state = job.get("state")
        if state in RESTARTING_JOB_STATES and self.state not in RESTARTING_JOB_STATES:
            self.restarts_by_state += 1
        self.state = state
        tasks = [vertex.get("status") for vertex in job.get("vertices", [])]
        if state == "RUNNING" and tasks and all(status == "RUNNING" for status in tasks):
            self.running_since = self.running_since or time.monotonic()
        seen = {failure_key(entry) for entry in self.failures}
        self.failures += [
            entry
            for entry in history_entries(exceptions)
            if failure_key(entry) not in self.known_failures and failure_key(entry) not in seen
        ]

    @property
    def restarts(self) -> int:
        """Restarts seen: the exception history keeps every failure (up to Flink's size of it), the state only those a
        poll caught; each may miss some, neither counts one twice."""
        return max(len(self.failures), self.restarts_by_state)

    def seconds(self) -> float:
        return time.monotonic() - self.started


def cancel_job(rest_url: str, job_id: str) -> str:
    """Cancels a job the submission gives up on, within CANCEL_TIMEOUT_SECONDS of its own; says what came of it."""
    rest = FlinkRest(rest_url, time.monotonic() + CANCEL_TIMEOUT_SECONDS)
    by_hand = f"cancel it in the Flink UI or with PATCH /jobs/{job_id}?mode=cancel"
    try:
        rest.retrying(
            f"PATCH /jobs/{job_id}?mode=cancel", lambda: rest.call_once("PATCH", f"/jobs/{job_id}?mode=cancel")
        )

        def ended():
            state = rest.get(f"/jobs/{job_id}").get("state")
            return state if state in FAILED_JOB_STATES else None

        return f"cancelled job {job_id} (now {wait_until(f'job {job_id} to end', ended, rest)})"
    except SubmitError as error:
        return f"tried to cancel job {job_id} but could not ({error}): {by_hand}"


def wait_until_proven(rest: FlinkRest, options: SubmitOptions, job_id: str, restore_source: str | None) -> dict:
    """Waits until the job and all its tasks are RUNNING and it completed a checkpoint of its own since its restore;
    returns that checkpoint's statistics (an empty dict when the interval is too long to await one). A job that
    restarts more than TOLERATED_RESTARTS times before, ends, or checkpoints not in time is cancelled (unless it ended)
    and a SubmitError names why."""
    known = {failure_key(entry) for entry in history_entries(rest.get(f"/jobs/{job_id}/exceptions"))}
    watch = JobWatch(known)
    interval = options.checkpoint_interval_ms / 1000
    checkpoint_wait = CHECKPOINT_WAIT_INTERVALS * interval + CHECKPOINT_WAIT_SLACK_SECONDS

    def give_up(problem: str):
        cancelled = cancel_job(options.rest_url, job_id)
        raise SubmitError(f"{problem}\nSo that nothing is left running, the submission {cancelled}")

    while True:
        job = rest.get(f"/jobs/{job_id}")
        exceptions = rest.get(f"/jobs/{job_id}/exceptions")
        was_running = watch.running_since is not None
        watch.observe(job, exceptions)
        if watch.running_since is not None and not was_running:
            log(
                f"job {job_id} and all its tasks are RUNNING after {watch.seconds():.0f} s; waiting for a checkpoint of "
                f"its own (interval {interval:g} s, at most {checkpoint_wait:g} s)"
            )
        if watch.state in FAILED_JOB_STATES:
            raise SubmitError(f"job {job_id} ended as {watch.state}:\n{job_problem(rest, job_id)}")
        if watch.restarts > TOLERATED_RESTARTS:
            failure = newest_failure(exceptions) or "(Flink reported no exception)"
            # A job found alive was not restored by this submission: its own statistics say from what.
            source = restore_source or restored_path(rest.get(f"/jobs/{job_id}/checkpoints"))
            cancelled = cancel_job(options.rest_url, job_id)
            raise SubmitError(restart_loop_message(job_id, source, watch.restarts, watch.seconds(), failure, cancelled))
        if watch.running_since is not None and watch.state == "RUNNING":
            checkpoints = rest.get(f"/jobs/{job_id}/checkpoints")
            own = checkpoint_since_restore(checkpoints)
            if own is not None:
                return own
            awaited_until = watch.running_since + checkpoint_wait
            if awaited_until > rest.deadline and time.monotonic() >= min(
                watch.running_since + LOOP_WATCH_SECONDS, rest.deadline
            ):
                log(
                    f"the checkpoint interval ({interval:g} s) is too long to await a checkpoint within "
                    f"--timeout-seconds; job {job_id} ran {time.monotonic() - watch.running_since:.0f} s "
                    f"with {watch.restarts} restarts"
                )
                return {}
            if time.monotonic() >= awaited_until:
                give_up(no_checkpoint_message(job_id, watch, checkpoint_wait, interval, checkpoints))
        if rest.seconds_left() <= 0:
            give_up(
                f"timed out waiting for job {job_id} to run and complete a checkpoint: it is {watch.state}, "
                f"{watch.restarts} restarts in {watch.seconds():.0f} s; its latest failure: "
                f"{exception_summary(newest_failure(exceptions) or '')}"
            )
        time.sleep(min(POLL_SECONDS, max(0.1, rest.seconds_left())))


def no_checkpoint_message(job_id: str, watch: JobWatch, waited: float, interval: float, checkpoints: dict) -> str:
    counts = (checkpoints or {}).get("counts") or {}
    failed = ((checkpoints or {}).get("latest") or {}).get("failed") or {}
    return (
        f"job {job_id} completed no checkpoint in {round(waited, 1):g} s of running (its checkpoint interval is "
        f"{interval:g} s; {counts.get('in_progress', 0)} in progress, {counts.get('failed', 0)} failed"
        + (f", the latest because: {failed.get('failure_message')}" if failed.get("failure_message") else "")
        + f"; {watch.restarts} restarts). A job that does not checkpoint commits no exactly-once output and cannot be "
        "restored: read the checkpoint history in the Flink UI and the TaskManagers' logs"
    )


def submit(options: SubmitOptions) -> str:
    rest = FlinkRest(options.rest_url, time.monotonic() + options.timeout_seconds)

    log(f"waiting for the Flink REST API at {options.rest_url}")
    # A JobManager that is still starting refuses connections, then answers 5xx (no leader yet): both are retried.
    rest.get("/overview")

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
        return proven(rest, options, alive[0]["jid"], None)

    savepoint_path, why = restore_path(options, rest.get("/jobs/overview"))
    if savepoint_path:
        refusal, origin = restore_check(options, savepoint_path)
        if refusal:
            raise SubmitError(refusal)
        log(f"restoring from {savepoint_path} ({why}{f'; written by {origin}' if origin else ''})")

    def enough_free_slots():
        free = rest.get("/overview").get("slots-available", 0)
        return free if free >= options.parallelism else None

    log(f"waiting for {options.parallelism} free task slots")
    wait_until(f"{options.parallelism} free task slots (are the TaskManagers up?)", enough_free_slots, rest)

    jar_id = ensure_jar_uploaded(rest, find_python_jar(options.python_jar_glob))
    log(f"running {options.job_file} as '{options.job_name}'")
    job_id = run_job(rest, options, savepoint_path, jar_id, known_job_ids={job["jid"] for job in jobs})
    print(job_id, flush=True)

    return proven(rest, options, job_id, savepoint_path)


def proven(rest: FlinkRest, options: SubmitOptions, job_id: str, restore_source: str | None) -> str:
    own = wait_until_proven(rest, options, job_id, restore_source)
    log(f"job {job_id} is RUNNING" + (f" and completed checkpoint {own['id']}" if own else ""))
    return job_id


def main(argv: Sequence[str]) -> int:
    try:
        submit(parse_submit_args(argv))
    except SubmitUsageError as error:
        log(f"FAILED: {error}")
        return 2
    except SubmitError as error:
        log(f"FAILED: {error}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
