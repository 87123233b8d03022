"""The pure part of the visit-windows job: no PyFlink import, so it is unit-tested with plain pytest.

What lives here: turning a raw Kafka value into a visit or a dead letter, the event time in
milliseconds, the JSON written per window firing, the job's arguments as a typed config, and the
Flink configuration derived from that config. `visit_windows_job.py` only wires these into a
DataStream pipeline.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

CHECKPOINT_MODES = ("EXACTLY_ONCE", "AT_LEAST_ONCE")
# The Kafka sink's TransactionNamingStrategy (connector 4.0 on, Flink 2.x); `default` leaves the connector's own.
TRANSACTION_NAMINGS = ("default", "incrementing", "pooling")

# The broker rejects a transactional producer whose transaction.timeout.ms exceeds its own
# transaction.max.timeout.ms, which defaults to 15 minutes.
BROKER_MAX_TRANSACTION_TIMEOUT_MS = 15 * 60 * 1000

# Flink refuses checkpoint intervals below 10 ms.
MIN_CHECKPOINT_INTERVAL_MS = 10

# The operators' uids (visit_windows_job.py sets them). A job restored from a checkpoint finds each
# operator's state by the id Flink derives from its uid, so `checkpoints.py inspect` checks the same ones.
SOURCE_UID = "visits-source"
ROUTE_DEAD_LETTERS_UID = "route-dead-letters"
DLQ_SINK_UID = "visits-dlq-sink"
EVENT_TIME_UID = "visit-event-time"
WINDOWS_UID = "visit-windows"
OUTPUT_SINK_UID = "visit-windows-sink"

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_ONE_MS = timedelta(milliseconds=1)

# ISO-8601 date-time with a mandatory zone (Z or ±HH:MM / ±HHMM). Written out rather than relying on
# datetime.fromisoformat, which only accepts `Z` from Python 3.11 on; the official Flink image may
# carry an older Python.
_ISO_8601 = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?"
    r"(?:([Zz])|([+-])(\d{2}):?(\d{2}))$"
)


# --- parsing visits -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Visit:
    """The part of a visit event the windows need."""

    visit_id: str
    event_time_ms: int


# A dead letter carries at most this many bytes of its raw value. Without a cap, a value near the broker's
# record size limit, wrapped in the dead letter's JSON, would exceed it: the sink would fail the job on every
# restart. A cut value keeps its length and SHA-256, so it can still be matched with the input record.
MAX_DEAD_LETTER_RAW_BYTES = 64 * 1024


@dataclass(frozen=True)
class DeadLetter:
    """A value that cannot be a visit: kept (cut past MAX_DEAD_LETTER_RAW_BYTES), with a machine-readable
    reason and an explanation."""

    raw: str
    reason: str
    detail: str

    def to_json(self) -> str:
        encoded = self.raw.encode("utf-8")
        if len(encoded) <= MAX_DEAD_LETTER_RAW_BYTES:
            return json.dumps({"reason": self.reason, "detail": self.detail, "raw": self.raw})
        return json.dumps(
            {
                "reason": self.reason,
                "detail": self.detail,
                "raw": encoded[:MAX_DEAD_LETTER_RAW_BYTES].decode("utf-8", errors="ignore"),
                "raw_truncated": True,
                "raw_bytes": len(encoded),
                "raw_sha256": hashlib.sha256(encoded).hexdigest(),
            }
        )


class DeadLetterReason:
    NOT_JSON = "not_json"
    NOT_AN_OBJECT = "not_an_object"
    MISSING_VISIT_ID = "missing_visit_id"
    INVALID_VISIT_ID = "invalid_visit_id"
    MISSING_EVENT_TIME = "missing_event_time"
    UNPARSABLE_EVENT_TIME = "unparsable_event_time"


def parse_event_time_ms(text: str) -> int:
    """Milliseconds since the epoch of an ISO-8601 date-time with a zone; fractions beyond ms are cut.

    Raises ValueError naming what is wrong (no zone, not a date-time, out-of-range field).
    """
    match = _ISO_8601.match(text.strip())
    if match is None:
        raise ValueError(f"{text!r} is not an ISO-8601 date-time with a zone, e.g. 2026-11-25T10:00:03.000Z")
    year, month, day, hour, minute, second, fraction, zulu, sign, off_h, off_m = match.groups()
    if zulu:
        zone = timezone.utc
    else:
        offset = timedelta(hours=int(off_h), minutes=int(off_m))
        zone = timezone(-offset if sign == "-" else offset)
    try:
        moment = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second), tzinfo=zone)
    except ValueError as error:
        raise ValueError(f"{text!r} is not a valid date-time: {error}") from None
    millis_of_second = int((fraction or "0").ljust(3, "0")[:3])
    return (moment - _EPOCH) // _ONE_MS + millis_of_second


def parse_visit(raw: str) -> Visit | DeadLetter:
    """A visit when the value is a JSON object with a visit_id and a parsable event_time, else a dead letter."""
    try:
        event = json.loads(raw)
    except ValueError as error:
        return DeadLetter(raw, DeadLetterReason.NOT_JSON, f"value is not JSON: {error}")
    if not isinstance(event, dict):
        return DeadLetter(raw, DeadLetterReason.NOT_AN_OBJECT, f"value is JSON {type(event).__name__}, not an object")

    visit_id = event.get("visit_id")
    if visit_id is None or visit_id == "":
        return DeadLetter(raw, DeadLetterReason.MISSING_VISIT_ID, "visit_id is missing or empty")
    if not isinstance(visit_id, str):
        return DeadLetter(
            raw,
            DeadLetterReason.INVALID_VISIT_ID,
            f"visit_id must be a string, got {type(visit_id).__name__}",
        )

    event_time = event.get("event_time")
    if event_time is None or event_time == "":
        return DeadLetter(raw, DeadLetterReason.MISSING_EVENT_TIME, "event_time is missing or empty")
    if not isinstance(event_time, str):
        return DeadLetter(
            raw,
            DeadLetterReason.UNPARSABLE_EVENT_TIME,
            f"event_time must be an ISO-8601 string, got {type(event_time).__name__}",
        )
    try:
        event_time_ms = parse_event_time_ms(event_time)
    except ValueError as error:
        return DeadLetter(raw, DeadLetterReason.UNPARSABLE_EVENT_TIME, str(error))
    return Visit(visit_id, event_time_ms)


# --- window output --------------------------------------------------------------------------------


def iso_utc(epoch_ms: int) -> str:
    """2026-11-25T10:00:00.000Z: UTC, always with milliseconds, the same shape the generator writes."""
    moment = _EPOCH + timedelta(milliseconds=epoch_ms)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def window_record_json(
    visit_id: str, window_start_ms: int, window_end_ms: int, count: int, processing_time_ms: int
) -> str:
    """One window firing. window_end is exclusive (Flink's TimeWindow.end).

    Everything but processing_time is a function of the input alone, so a replay after a restore
    writes byte-identical records apart from that one field.
    """
    return json.dumps(
        {
            "visit_id": visit_id,
            "window_start": iso_utc(window_start_ms),
            "window_end": iso_utc(window_end_ms),
            "count": count,
            "processing_time": iso_utc(processing_time_ms),
        }
    )


# --- arguments and Flink configuration --------------------------------------------------------------


@dataclass(frozen=True)
class JobConfig:
    bootstrap_servers: str
    input_topic: str
    output_topic: str
    dlq_topic: str
    group_id: str
    checkpoint_mode: str
    checkpoint_interval_ms: int
    checkpoint_dir: str
    retain_on_cancellation: bool
    parallelism: int
    source_parallelism: int
    window_seconds: int
    count_trigger: int
    transactional_id_prefix: str
    transaction_timeout_ms: int
    transaction_naming: str
    source_idle_timeout_ms: int
    job_name: str

    @property
    def exactly_once(self) -> bool:
        return self.checkpoint_mode == "EXACTLY_ONCE"

    @property
    def source_subtasks(self) -> int:
        return self.source_parallelism or self.parallelism

    @property
    def window_size_ms(self) -> int:
        return self.window_seconds * 1000


class JobArgumentError(ValueError):
    """A job argument with a value the job cannot run with; the message names it and what is allowed."""


def _non_empty(name: str):
    def parse(text: str) -> str:
        if not text.strip():
            raise argparse.ArgumentTypeError(f"{name} must not be empty")
        return text.strip()

    return parse


def _int_at_least(name: str, minimum: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be a whole number, got {text!r}") from None
        if value < minimum:
            allowed = "positive" if minimum == 1 else f"{minimum} or more"
            raise argparse.ArgumentTypeError(f"{name} must be {allowed}, got {value}")
        return value

    return parse


def _checkpoint_mode(text: str) -> str:
    mode = text.strip().upper().replace("-", "_")
    if mode not in CHECKPOINT_MODES:
        raise argparse.ArgumentTypeError(
            f"--checkpoint-mode must be one of {', '.join(CHECKPOINT_MODES)}, got {text!r}"
        )
    return mode


def _boolean(name: str):
    def parse(text: str) -> bool:
        lowered = text.strip().lower()
        if lowered in ("true", "false"):
            return lowered == "true"
        raise argparse.ArgumentTypeError(f"{name} must be true or false, got {text!r}")

    return parse


def _checkpoint_dir(text: str) -> str:
    # Without a scheme Flink would resolve the path against its default file system, which on a
    # cluster may not be the shared volume; require the explicit URI.
    if not re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", text.strip()):
        raise argparse.ArgumentTypeError(
            f"--checkpoint-dir must be a URI with a scheme, e.g. file:///checkpoints_flink, got {text!r}"
        )
    return text.strip()


class _RaisingArgumentParser(argparse.ArgumentParser):
    """Raises JobArgumentError instead of exiting, so callers and tests see the message."""

    def error(self, message: str):
        raise JobArgumentError(f"{self.prog}: {message}")


def job_argument_parser() -> argparse.ArgumentParser:
    parser = _RaisingArgumentParser(
        prog="visit_windows_job.py",
        description="Counts visits per visit_id in tumbling event-time windows, firing every N visits.",
    )
    add = parser.add_argument
    add("--bootstrap-servers", type=_non_empty("--bootstrap-servers"), default="kafka:9092")
    add("--input-topic", type=_non_empty("--input-topic"), default="visits")
    add("--output-topic", type=_non_empty("--output-topic"), default="visit_windows")
    add("--dlq-topic", type=_non_empty("--dlq-topic"), default="visits_dlq")
    add("--group-id", type=_non_empty("--group-id"), default="visits_reader")
    add(
        "--checkpoint-mode", type=_checkpoint_mode, default="EXACTLY_ONCE", help=f"one of {', '.join(CHECKPOINT_MODES)}"
    )
    add("--checkpoint-interval-ms", type=_int_at_least("--checkpoint-interval-ms", 1), default=20000)
    add("--checkpoint-dir", type=_checkpoint_dir, default="file:///checkpoints_flink")
    add(
        "--retain-on-cancellation",
        type=_boolean("--retain-on-cancellation"),
        default=True,
        help="true or false: keep the last checkpoints when the job is cancelled",
    )
    add("--parallelism", type=_int_at_least("--parallelism", 1), default=2)
    add(
        "--source-parallelism",
        type=_int_at_least("--source-parallelism", 0),
        default=0,
        help="parallelism of the source and the operators chained to it (parsing, event time); "
        "0 (the default) follows --parallelism. Set it to the partition count so every "
        "watermark generator reads one partition, whatever parallelism the windows run at",
    )
    add("--window-seconds", type=_int_at_least("--window-seconds", 1), default=45)
    add("--count-trigger", type=_int_at_least("--count-trigger", 1), default=4)
    add("--transactional-id-prefix", type=_non_empty("--transactional-id-prefix"), default="visit-windows")
    add("--transaction-timeout-ms", type=_int_at_least("--transaction-timeout-ms", 1), default=600000)
    add(
        "--transaction-naming",
        choices=TRANSACTION_NAMINGS,
        default="default",
        help="how the exactly-once sinks name their Kafka transactions: incrementing (a new transactional id per "
        "checkpoint), pooling (a few ids reused; Flink 2.x's connector), or default (the connector's own)",
    )
    add(
        "--source-idle-timeout-ms",
        type=_int_at_least("--source-idle-timeout-ms", 0),
        default=0,
        help="a subtask that sees no visit for this long stops holding back the watermark; "
        "0 (the default) never marks it idle; see visit_windows_job.py before enabling it",
    )
    add("--job-name", type=_non_empty("--job-name"), default="visit-windows")
    return parser


def parse_job_args(argv: Sequence[str]) -> JobConfig:
    """The typed config, or JobArgumentError naming the argument and the allowed values."""
    args = job_argument_parser().parse_args(list(argv))
    config = JobConfig(**vars(args))

    if config.checkpoint_interval_ms < MIN_CHECKPOINT_INTERVAL_MS:
        raise JobArgumentError(
            f"--checkpoint-interval-ms must be at least {MIN_CHECKPOINT_INTERVAL_MS}, "
            f"got {config.checkpoint_interval_ms}"
        )
    if config.transaction_timeout_ms > BROKER_MAX_TRANSACTION_TIMEOUT_MS:
        raise JobArgumentError(
            f"--transaction-timeout-ms must not exceed the broker's transaction.max.timeout.ms "
            f"({BROKER_MAX_TRANSACTION_TIMEOUT_MS}), got {config.transaction_timeout_ms}"
        )
    # A transaction stays open from one checkpoint to the next; a shorter timeout lets the broker
    # abort it before Flink can commit it, losing the output of a whole interval.
    if config.exactly_once and config.transaction_timeout_ms <= config.checkpoint_interval_ms:
        raise JobArgumentError(
            f"--transaction-timeout-ms ({config.transaction_timeout_ms}) must be larger than "
            f"--checkpoint-interval-ms ({config.checkpoint_interval_ms}) in EXACTLY_ONCE mode"
        )
    for name, topic in (("--output-topic", config.output_topic), ("--dlq-topic", config.dlq_topic)):
        if topic == config.input_topic:
            raise JobArgumentError(f"{name} must differ from --input-topic ({config.input_topic!r})")
    return config


def flink_configuration(config: JobConfig) -> Mapping[str, str]:
    """The job-level Flink configuration. Only `execution.checkpointing.*` keys: valid on Flink 1.20,
    where they replace the deprecated `state.checkpoints.*` ones, and the only spelling Flink 2.x knows."""
    return {
        "pipeline.name": config.job_name,
        "parallelism.default": str(config.parallelism),
        "execution.checkpointing.interval": f"{config.checkpoint_interval_ms} ms",
        "execution.checkpointing.mode": config.checkpoint_mode,
        "execution.checkpointing.storage": "filesystem",
        "execution.checkpointing.dir": config.checkpoint_dir,
        "execution.checkpointing.externalized-checkpoint-retention": (
            "RETAIN_ON_CANCELLATION" if config.retain_on_cancellation else "DELETE_ON_CANCELLATION"
        ),
    }
