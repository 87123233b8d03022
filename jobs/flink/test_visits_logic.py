import hashlib
import json

import pytest
from visits_logic import (
    MAX_DEAD_LETTER_RAW_BYTES,
    DeadLetter,
    DeadLetterReason,
    JobArgumentError,
    Visit,
    flink_configuration,
    iso_utc,
    parse_event_time_ms,
    parse_job_args,
    parse_visit,
    window_record_json,
)

# 2026-11-25T10:00:03.000Z
T0_MS = 1795600803000


def visit_json(**fields) -> str:
    event = {
        "visit_id": "visit_1",
        "event_time": "2026-11-25T10:00:03.000Z",
        "user_id": "user_7",
        "keep_private": False,
        "page": "home",
        "context": {"referral": None},
    }
    event.update(fields)
    return json.dumps({key: value for key, value in event.items() if value is not ...})


# --- event time -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected_ms",
    [
        ("2026-11-25T10:00:03.000Z", T0_MS),
        ("2026-11-25T10:00:03Z", T0_MS),
        ("2026-11-25T10:00:03.25z", T0_MS + 250),
        ("2026-11-25T10:00:03.123456789Z", T0_MS + 123),
        ("2026-11-25T11:00:03.000+01:00", T0_MS),
        ("2026-11-25T05:30:03.000-0430", T0_MS),
        ("2026-11-25 10:00:03.007Z", T0_MS + 7),
        ("1970-01-01T00:00:00.000Z", 0),
    ],
)
def test_event_time_accepts_zulu_and_offsets(text, expected_ms):
    assert parse_event_time_ms(text) == expected_ms


@pytest.mark.parametrize(
    "text, message",
    [
        ("2026-11-25T10:00:03.000", "with a zone"),  # local time: ambiguous
        ("25/11/2026 10:00:03Z", "with a zone"),
        ("yesterday", "with a zone"),
        ("2026-13-25T10:00:03.000Z", "not a valid date-time"),
        ("2026-02-30T10:00:03.000Z", "not a valid date-time"),
        ("2026-11-25T24:00:03.000Z", "not a valid date-time"),
    ],
)
def test_event_time_rejects_what_is_not_an_instant(text, message):
    with pytest.raises(ValueError, match=message):
        parse_event_time_ms(text)


# --- visits and dead letters --------------------------------------------------------------------------


def test_a_generator_visit_parses_to_its_id_and_event_time():
    assert parse_visit(visit_json()) == Visit("visit_1", T0_MS)


@pytest.mark.parametrize(
    "raw, reason",
    [
        ("not json at all", DeadLetterReason.NOT_JSON),
        ('{"visit_id": "v", "event_time": ', DeadLetterReason.NOT_JSON),
        ("", DeadLetterReason.NOT_JSON),
        ("[1, 2]", DeadLetterReason.NOT_AN_OBJECT),
        ('"visit_1"', DeadLetterReason.NOT_AN_OBJECT),
        (visit_json(visit_id=...), DeadLetterReason.MISSING_VISIT_ID),
        (visit_json(visit_id=None), DeadLetterReason.MISSING_VISIT_ID),
        (visit_json(visit_id=""), DeadLetterReason.MISSING_VISIT_ID),
        (visit_json(visit_id=17), DeadLetterReason.INVALID_VISIT_ID),
        (visit_json(event_time=...), DeadLetterReason.MISSING_EVENT_TIME),
        (visit_json(event_time=""), DeadLetterReason.MISSING_EVENT_TIME),
        (visit_json(event_time="soon"), DeadLetterReason.UNPARSABLE_EVENT_TIME),
        (visit_json(event_time=T0_MS), DeadLetterReason.UNPARSABLE_EVENT_TIME),
        (visit_json(event_time="2026-11-25T10:00:03"), DeadLetterReason.UNPARSABLE_EVENT_TIME),
    ],
)
def test_malformed_values_become_dead_letters_with_the_raw_value(raw, reason):
    parsed = parse_visit(raw)
    assert isinstance(parsed, DeadLetter)
    assert parsed.reason == reason
    assert parsed.raw == raw
    assert parsed.detail


def test_dead_letter_of_an_oversized_value_is_cut_but_keeps_its_length_and_digest():
    raw = json.dumps({"visit_id": "v", "event_time": "bad", "padding": "é" * 600_000})
    record = json.loads(parse_visit(raw).to_json())
    encoded = raw.encode("utf-8")
    assert record["raw_truncated"] is True and record["raw_bytes"] == len(encoded)
    assert record["raw_sha256"] == hashlib.sha256(encoded).hexdigest()
    assert len(record["raw"].encode("utf-8")) <= MAX_DEAD_LETTER_RAW_BYTES
    # Well below the broker's 1 MB record limit, however large the input was.
    assert len(parse_visit(raw).to_json().encode("utf-8")) < 2 * MAX_DEAD_LETTER_RAW_BYTES
    small = json.loads(parse_visit("x" * MAX_DEAD_LETTER_RAW_BYTES).to_json())
    assert "raw_truncated" not in small and small["raw"] == "x" * MAX_DEAD_LETTER_RAW_BYTES


def test_dead_letter_json_keeps_the_raw_value_verbatim():
    raw = '{"visit_id": "v", "event_time": "soon", "note": "ünïcode \\"quoted\\""}'
    record = json.loads(parse_visit(raw).to_json())
    assert record == {
        "reason": "unparsable_event_time",
        "detail": "'soon' is not an ISO-8601 date-time with a zone, e.g. 2026-11-25T10:00:03.000Z",
        "raw": raw,
    }


# --- window output ---------------------------------------------------------------------------------------


def test_iso_utc_always_has_milliseconds_and_zulu():
    assert iso_utc(T0_MS) == "2026-11-25T10:00:03.000Z"
    assert iso_utc(T0_MS + 45) == "2026-11-25T10:00:03.045Z"
    assert iso_utc(0) == "1970-01-01T00:00:00.000Z"


def test_window_record_has_the_contract_fields_in_utc():
    start = (T0_MS // 45000) * 45000
    record = json.loads(window_record_json("visit_1", start, start + 45000, 8, T0_MS + 1234))
    assert record == {
        "visit_id": "visit_1",
        "window_start": "2026-11-25T10:00:00.000Z",
        "window_end": "2026-11-25T10:00:45.000Z",
        "count": 8,
        "processing_time": "2026-11-25T10:00:04.234Z",
    }


def test_window_records_of_a_replay_differ_only_in_processing_time():
    first = json.loads(window_record_json("visit_1", 0, 45000, 4, processing_time_ms=1000))
    replay = json.loads(window_record_json("visit_1", 0, 45000, 4, processing_time_ms=99000))
    del first["processing_time"], replay["processing_time"]
    assert first == replay


# --- arguments ---------------------------------------------------------------------------------------------


def test_defaults_match_the_stack_contract():
    config = parse_job_args([])
    assert config.bootstrap_servers == "kafka:9092"
    assert (config.input_topic, config.output_topic, config.dlq_topic) == ("visits", "visit_windows", "visits_dlq")
    assert config.group_id == "visits_reader"
    assert config.checkpoint_mode == "EXACTLY_ONCE" and config.exactly_once
    assert config.checkpoint_interval_ms == 20000
    assert config.checkpoint_dir == "file:///checkpoints_flink"
    assert config.retain_on_cancellation is True
    assert config.parallelism == 2
    # The source follows the job's parallelism unless told otherwise.
    assert (config.source_parallelism, config.source_subtasks) == (0, 2)
    assert config.window_size_ms == 45000
    assert config.count_trigger == 4
    assert config.transactional_id_prefix == "visit-windows"
    assert config.transaction_timeout_ms == 600000
    # The connector's own transaction naming unless asked: the only one Flink 1.20's connector has.
    assert config.transaction_naming == "default"
    assert config.job_name == "visit-windows"
    # Idle partitions are not skipped: that would make the output depend on timing.
    assert config.source_idle_timeout_ms == 0


def test_every_argument_is_read():
    config = parse_job_args(
        [
            "--bootstrap-servers",
            "broker:29092",
            "--input-topic",
            "in",
            "--output-topic",
            "out",
            "--dlq-topic",
            "dead",
            "--group-id",
            "g",
            "--checkpoint-mode",
            "at_least_once",
            "--checkpoint-interval-ms",
            "5000",
            "--checkpoint-dir",
            "file:///tmp/chk",
            "--retain-on-cancellation",
            "false",
            "--parallelism",
            "3",
            "--window-seconds",
            "10",
            "--count-trigger",
            "2",
            "--transactional-id-prefix",
            "tx",
            "--transaction-timeout-ms",
            "60000",
            "--transaction-naming",
            "pooling",
            "--source-idle-timeout-ms",
            "60000",
            "--job-name",
            "other",
            "--source-parallelism",
            "4",
        ]
    )
    assert config.checkpoint_mode == "AT_LEAST_ONCE" and not config.exactly_once
    assert (config.bootstrap_servers, config.input_topic, config.output_topic, config.dlq_topic) == (
        "broker:29092",
        "in",
        "out",
        "dead",
    )
    assert (config.group_id, config.checkpoint_interval_ms, config.checkpoint_dir) == ("g", 5000, "file:///tmp/chk")
    assert config.retain_on_cancellation is False
    assert (config.parallelism, config.window_size_ms, config.count_trigger) == (3, 10000, 2)
    assert (config.transactional_id_prefix, config.transaction_timeout_ms) == ("tx", 60000)
    assert config.transaction_naming == "pooling"
    assert (config.source_idle_timeout_ms, config.job_name) == (60000, "other")
    # Windows at 3, the source pinned at 4 (one subtask per partition).
    assert (config.source_parallelism, config.source_subtasks) == (4, 4)


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--checkpoint-mode", "ONCE"], "must be one of EXACTLY_ONCE, AT_LEAST_ONCE, got 'ONCE'"),
        (["--retain-on-cancellation", "yes"], "must be true or false, got 'yes'"),
        (["--parallelism", "0"], "--parallelism must be positive, got 0"),
        (["--window-seconds", "4.5"], "--window-seconds must be a whole number, got '4.5'"),
        (["--checkpoint-interval-ms", "5"], "--checkpoint-interval-ms must be at least 10, got 5"),
        (["--checkpoint-dir", "/checkpoints_flink"], "must be a URI with a scheme, e.g. file:///checkpoints_flink"),
        (["--transaction-timeout-ms", "900001"], "must not exceed the broker's transaction.max.timeout.ms (900000)"),
        (
            ["--checkpoint-interval-ms", "60000", "--transaction-timeout-ms", "60000"],
            "must be larger than --checkpoint-interval-ms (60000) in EXACTLY_ONCE mode",
        ),
        (["--output-topic", "visits"], "--output-topic must differ from --input-topic ('visits')"),
        (["--group-id", " "], "--group-id must not be empty"),
        (["--source-idle-timeout-ms", "-1"], "--source-idle-timeout-ms must be 0 or more, got -1"),
        (["--source-parallelism", "-2"], "--source-parallelism must be 0 or more, got -2"),
        (["--window-size", "45"], "unrecognized arguments: --window-size 45"),
        (["--transaction-naming", "POOLING"], "argument --transaction-naming: invalid choice: 'POOLING'"),
    ],
)
def test_bad_arguments_name_the_argument_and_what_is_allowed(argv, message):
    with pytest.raises(JobArgumentError) as error:
        parse_job_args(argv)
    assert message in str(error.value)


def test_a_short_transaction_timeout_is_fine_without_transactions():
    config = parse_job_args(
        ["--checkpoint-mode", "AT_LEAST_ONCE", "--checkpoint-interval-ms", "60000", "--transaction-timeout-ms", "1000"]
    )
    assert config.transaction_timeout_ms == 1000


# --- Flink configuration --------------------------------------------------------------------------------------


def test_flink_configuration_sets_checkpointing_from_the_arguments():
    assert flink_configuration(parse_job_args([])) == {
        "pipeline.name": "visit-windows",
        "parallelism.default": "2",
        "execution.checkpointing.interval": "20000 ms",
        "execution.checkpointing.mode": "EXACTLY_ONCE",
        "execution.checkpointing.storage": "filesystem",
        "execution.checkpointing.dir": "file:///checkpoints_flink",
        "execution.checkpointing.externalized-checkpoint-retention": "RETAIN_ON_CANCELLATION",
    }


def test_flink_configuration_follows_mode_and_retention():
    configuration = flink_configuration(
        parse_job_args(
            [
                "--checkpoint-mode",
                "AT_LEAST_ONCE",
                "--retain-on-cancellation",
                "false",
                "--checkpoint-interval-ms",
                "5000",
            ]
        )
    )
    assert configuration["execution.checkpointing.mode"] == "AT_LEAST_ONCE"
    assert configuration["execution.checkpointing.interval"] == "5000 ms"
    assert configuration["execution.checkpointing.externalized-checkpoint-retention"] == "DELETE_ON_CANCELLATION"


def test_flink_configuration_uses_no_key_removed_in_flink_2():
    # The state.checkpoints.* spellings are deprecated in Flink 1.20 and gone in Flink 2.
    assert not [key for key in flink_configuration(parse_job_args([])) if key.startswith("state.")]
