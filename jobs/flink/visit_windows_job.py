"""Visit windows: the stateful PyFlink job of the Checkpointer pattern.

    visits (Kafka, earliest offsets, group visits_reader)
      -> parse; malformed values go to a side output -> visits_dlq (Kafka)
      -> event time from `event_time`, monotonous watermarks
      -> key by visit_id -> 45 s tumbling event-time windows, fired by a count trigger of 4
      -> one JSON record per firing -> visit_windows (Kafka, transactional in EXACTLY_ONCE mode)

State worth checkpointing: the Kafka offsets (source), the visits of every open window (window
operator) and the open Kafka transactions (sinks). Each of these operators has an explicit uid so a
job restored from a retained checkpoint maps its state back, whatever else changed in the graph.

Run by Flink's PythonDriver (`-py visit_windows_job.py <args>`); the arguments are documented in
visits_logic.job_argument_parser.
"""

import os
import sys

from py4j.protocol import Py4JError
from pyflink.common import Configuration, Duration, Types, WatermarkStrategy
from pyflink.common.serialization import SimpleStringSchema
from pyflink.common.time import Time
from pyflink.common.watermark_strategy import TimestampAssigner
from pyflink.datastream import OutputTag, ProcessFunction, StreamExecutionEnvironment
from pyflink.datastream.connectors.base import DeliveryGuarantee
from pyflink.datastream.connectors.kafka import (
    KafkaOffsetsInitializer,
    KafkaRecordSerializationSchema,
    KafkaSink,
    KafkaSource,
)
from pyflink.datastream.functions import ProcessWindowFunction
from pyflink.datastream.window import CountTrigger, TumblingEventTimeWindows
from pyflink.java_gateway import get_gateway
from visits_logic import (
    DLQ_SINK_UID,
    EVENT_TIME_UID,
    OUTPUT_SINK_UID,
    ROUTE_DEAD_LETTERS_UID,
    SOURCE_UID,
    WINDOWS_UID,
    DeadLetter,
    JobArgumentError,
    JobConfig,
    flink_configuration,
    parse_job_args,
    parse_visit,
    window_record_json,
)

DEAD_LETTERS = OutputTag("dead-letters", Types.STRING())

# (visit_id, event_time_ms): all the window needs, in a typed form Flink serializes without pickling.
VISIT_TYPE = Types.TUPLE([Types.STRING(), Types.LONG()])


class RouteDeadLetters(ProcessFunction):
    """Valid visits continue downstream; anything else goes to the dead-letter side output.
    Bad input must never fail the job, or one malformed record would stop it in a restart loop."""

    def process_element(self, value, ctx):
        parsed = parse_visit(value)
        if isinstance(parsed, DeadLetter):
            yield DEAD_LETTERS, parsed.to_json()
        else:
            yield parsed.visit_id, parsed.event_time_ms


class VisitEventTime(TimestampAssigner):
    def extract_timestamp(self, value, record_timestamp):
        return value[1]


class EmitWindowCount(ProcessWindowFunction):
    """One JSON record per firing of the window.

    `count` is the number of visits in the window so far, not since the previous firing: Flink's
    CountTrigger FIREs without purging, so the window keeps its elements and successive firings
    report 4, 8, 12, ... for a count trigger of 4. Visits beyond the last multiple of 4 stay in the
    window without a firing until the window is cleaned up at its end.
    """

    def process(self, key, context, elements):
        window = context.window()
        yield window_record_json(
            visit_id=key,
            window_start_ms=window.start,
            window_end_ms=window.end,
            count=sum(1 for _ in elements),
            processing_time_ms=context.current_processing_time(),
        )


def set_transaction_naming(builder, naming: str) -> None:
    """The sink's TransactionNamingStrategy (INCREMENTING or POOLING), which PyFlink has no setter for: set on the Java
    builder that PyFlink's KafkaSinkBuilder keeps as `_j_builder`. A private attribute: a PyFlink without it, or a
    connector without the strategy (before 4.0, Flink 1.x), fails the job here, saying so, rather than silently."""
    try:
        strategy = get_gateway().jvm.org.apache.flink.connector.kafka.sink.TransactionNamingStrategy.valueOf(
            naming.upper()
        )
        builder._j_builder.setTransactionNamingStrategy(strategy)
    except (AttributeError, Py4JError) as error:
        raise RuntimeError(
            f"--transaction-naming {naming}: this PyFlink or Kafka connector cannot set the sink's transaction naming "
            f"strategy (it needs KafkaSinkBuilder._j_builder and connector 4.0 or later, Flink 2.x): {error}"
        ) from None


def kafka_string_sink(config: JobConfig, topic: str, transactional_id_prefix: str) -> KafkaSink:
    """A sink writing strings to `topic` with the delivery guarantee of the checkpoint mode.

    EXACTLY_ONCE: records go out in a Kafka transaction committed when the checkpoint completes, so
    read_committed consumers see each record once even after a restore replays input.
    """
    builder = (
        KafkaSink.builder()
        .set_bootstrap_servers(config.bootstrap_servers)
        .set_record_serializer(
            KafkaRecordSerializationSchema.builder()
            .set_topic(topic)
            .set_value_serialization_schema(SimpleStringSchema())
            .build()
        )
    )
    if config.exactly_once:
        builder = (
            builder.set_delivery_guarantee(DeliveryGuarantee.EXACTLY_ONCE)
            .set_transactional_id_prefix(transactional_id_prefix)
            .set_property("transaction.timeout.ms", str(config.transaction_timeout_ms))
        )
        if config.transaction_naming != "default":
            set_transaction_naming(builder, config.transaction_naming)
    else:
        builder = builder.set_delivery_guarantee(DeliveryGuarantee.AT_LEAST_ONCE)
    return builder.build()


def build_pipeline(env: StreamExecutionEnvironment, config: JobConfig) -> None:
    source = (
        KafkaSource.builder()
        .set_bootstrap_servers(config.bootstrap_servers)
        .set_topics(config.input_topic)
        .set_group_id(config.group_id)
        # Only used when there is no state: a job restored from a checkpoint resumes from the
        # offsets in that checkpoint, which is what the pattern demonstrates.
        .set_starting_offsets(KafkaOffsetsInitializer.earliest())
        .set_value_only_deserializer(SimpleStringSchema())
        .build()
    )
    # Everything up to the key-by runs at the environment's parallelism, the source's (the partition
    # count, from the stack; see main), the windows and their sink at the job's: a restore at another
    # job parallelism rescales the keyed window state while each watermark generator still reads
    # exactly one partition (see below).
    raw_visits = env.from_source(source, WatermarkStrategy.no_watermarks(), "visits source").uid(SOURCE_UID)

    routed = (
        raw_visits.process(RouteDeadLetters(), output_type=VISIT_TYPE)
        .name("route dead letters")
        .uid(ROUTE_DEAD_LETTERS_UID)
    )

    routed.get_side_output(DEAD_LETTERS).sink_to(
        kafka_string_sink(config, config.dlq_topic, f"{config.transactional_id_prefix}-dlq")
    ).name("dead letters sink").uid(DLQ_SINK_UID)

    # Watermarks are generated right after parsing, in the same (chained) task as the source
    # reader. With parallelism equal to the partition count each subtask reads one partition, whose
    # event times only grow (the generator's clock), so monotonous watermarks drop nothing as late
    # and the output is a function of the input alone.
    #
    # Idleness is off by default, on purpose. A partition without data holds the watermark back,
    # but with a count trigger that only delays the cleanup of finished windows, never a firing.
    # Marking it idle instead lets the other partition's watermark run ahead; when data comes back
    # to the idle partition, its first visits can be behind that watermark and are dropped as
    # late. Measured: a 45 s pause on one partition, then one batch to both, lost 2 of 147
    # firings. That would break the exactly-once comparison of output with input.
    watermarks = WatermarkStrategy.for_monotonous_timestamps()
    if config.source_idle_timeout_ms > 0:
        watermarks = watermarks.with_idleness(Duration.of_millis(config.source_idle_timeout_ms))
    # Last on purpose: PyFlink's with_idleness returns a new strategy without the Python timestamp
    # assigner, and windows would silently run on Kafka's append time instead of event_time.
    watermarks = watermarks.with_timestamp_assigner(VisitEventTime())
    visits = routed.assign_timestamps_and_watermarks(watermarks).name("event time").uid(EVENT_TIME_UID)

    window_counts = (
        visits.key_by(lambda visit: visit[0], key_type=Types.STRING())
        .window(TumblingEventTimeWindows.of(Time.milliseconds(config.window_size_ms)))
        .allowed_lateness(0)
        .trigger(CountTrigger.of(config.count_trigger))
        .process(EmitWindowCount(), output_type=Types.STRING())
        .name("visit windows")
        .uid(WINDOWS_UID)
        .set_parallelism(config.parallelism)
    )

    window_counts.sink_to(kafka_string_sink(config, config.output_topic, config.transactional_id_prefix)).name(
        "visit windows sink"
    ).uid(OUTPUT_SINK_UID).set_parallelism(config.parallelism)


def main(argv) -> None:
    try:
        config = parse_job_args(argv)
    except JobArgumentError as error:
        print(error, file=sys.stderr)
        sys.exit(2)

    configuration = Configuration()
    for key, value in flink_configuration(config).items():
        configuration.set_string(key, value)
    env = StreamExecutionEnvironment.get_execution_environment(configuration)
    # The source's parallelism as the default, not the job's: with a Python timestamp assigner PyFlink
    # adds operators of its own before the key-by (a Map and Extract-Timestamp) that take the default.
    # At the job's they read several partitions each after a restore at a lower parallelism, and a
    # monotonous watermark over interleaved partitions drops the slower one's visits as late
    # (measured: a rescale to 1 lost 9 of 817 firings).
    env.set_parallelism(config.source_subtasks)
    # The Python workers on the TaskManagers import visits_logic too; ship it with the job.
    env.add_python_file(os.path.join(os.path.dirname(os.path.abspath(__file__)), "visits_logic.py"))

    build_pipeline(env, config)
    env.execute(config.job_name)


if __name__ == "__main__":
    main(sys.argv[1:])
