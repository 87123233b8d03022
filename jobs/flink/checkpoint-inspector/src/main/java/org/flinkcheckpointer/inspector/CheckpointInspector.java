package org.flinkcheckpointer.inspector;

import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.configuration.ConfigConstants;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.GlobalConfiguration;
import org.apache.flink.configuration.JobManagerOptions;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.connector.kafka.source.split.KafkaPartitionSplit;
import org.apache.flink.connector.kafka.source.split.KafkaPartitionSplitSerializer;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;
import org.apache.flink.core.io.SimpleVersionedSerialization;
import org.apache.flink.core.plugin.PluginUtils;
import org.apache.flink.runtime.checkpoint.OperatorState;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.checkpoint.metadata.CheckpointMetadata;
import org.apache.flink.runtime.jobgraph.OperatorID;
import org.apache.flink.runtime.state.AbstractChannelStateHandle;
import org.apache.flink.runtime.state.CompletedCheckpointStorageLocation;
import org.apache.flink.runtime.state.IncrementalKeyedStateHandle.HandleAndLocalPath;
import org.apache.flink.runtime.state.IncrementalRemoteKeyedStateHandle;
import org.apache.flink.runtime.state.KeyGroupsStateHandle;
import org.apache.flink.runtime.state.KeyedStateHandle;
import org.apache.flink.runtime.state.OperatorStateHandle;
import org.apache.flink.runtime.state.OperatorStreamStateHandle;
import org.apache.flink.runtime.state.StateObject;
import org.apache.flink.runtime.state.filesystem.AbstractFsCheckpointStorageAccess;
import org.apache.flink.runtime.state.filesystem.FileStateHandle;
import org.apache.flink.runtime.state.memory.ByteStreamStateHandle;
import org.apache.flink.state.api.OperatorIdentifier;
import org.apache.flink.state.api.SavepointReader;
import org.apache.flink.state.api.runtime.SavepointLoader;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.CloseableIterator;
import org.apache.flink.util.ExceptionUtils;

import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.node.ArrayNode;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.File;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * What retained checkpoints hold, as one JSON array on stdout (one object per checkpoint), read with Flink's
 * State Processor API:
 *
 * <pre>java -cp '/opt/flink/lib/*:checkpoint-inspector.jar' org.flinkcheckpointer.inspector.CheckpointInspector
 *     [--uid UID]... [--source-uid UID] CHECKPOINT...</pre>
 *
 * CHECKPOINT is a chk-N folder or its _metadata (path or file:// URI); a chk-N without _metadata is refused.
 * Each --uid names an operator uid of the job: Flink derives an operator's id from its uid alone
 * (OperatorIdentifier.forUid), so the operators of the checkpoint are named by the uids whose ids they carry.
 * The operators, their state sizes and the files they reference come from the _metadata as the State Processor
 * API's SavepointLoader reads it. With --source-uid, "sourceOffsets" lists the Kafka splits of the source with
 * that uid: its "SourceReaderState" list state read by SavepointReader (a bounded job on a mini cluster inside
 * this JVM) and decoded with the Kafka connector's split serializer, the offsets a restored job starts reading
 * at; empty when the checkpoint has no operator with that uid. Without --source-uid no job runs and the key is
 * left out.
 */
public final class CheckpointInspector {

    /** SourceOperator's list state of the reader's splits (SourceOperator.SPLITS_STATE_DESC). */
    private static final String SOURCE_SPLITS_STATE = "SourceReaderState";

    private static final String USAGE = "[--uid UID]... [--source-uid UID] CHECKPOINT... (a chk-N folder or its _metadata)";

    private static final ObjectMapper JSON = new ObjectMapper();

    private CheckpointInspector() {}

    /**
     * Flink's plugin file systems (s3:// through flink-s3-fs-presto) with the cluster's configuration: a plain
     * `java -cp` tool must load both itself. Without the configuration the plugin would ignore s3.endpoint and ask
     * AWS. In the Flink image that is /opt/flink/conf (FLINK_CONF_DIR when set) and /opt/flink/plugins; where
     * neither exists (the tests' classpath) only the file systems on the class path serve.
     */
    private static void initializeFileSystems() {
        String confDir = System.getenv().getOrDefault(ConfigConstants.ENV_FLINK_CONF_DIR, "/opt/flink/conf");
        Configuration conf = new File(confDir).isDirectory() ? GlobalConfiguration.loadConfiguration(confDir) : new Configuration();
        try {
            FileSystem.initialize(conf, PluginUtils.createPluginManagerFromRootFolder(conf));
        } catch (RuntimeException e) {
            fail("cannot set up Flink's file systems with the configuration in " + confDir + ": " + e);
        }
    }

    public static void main(String[] args) {
        List<String> uids = new ArrayList<>();
        String sourceUid = null;
        List<String> checkpoints = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--uid") && i + 1 < args.length) {
                uids.add(args[++i]);
            } else if (args[i].equals("--source-uid") && i + 1 < args.length) {
                if (sourceUid != null) fail("--source-uid given twice; allowed: " + USAGE);
                sourceUid = args[++i];
            } else if (args[i].startsWith("--")) {
                fail("unexpected argument \"" + args[i] + "\"; allowed: " + USAGE);
            } else {
                checkpoints.add(args[i]);
            }
        }
        initializeFileSystems();
        if (checkpoints.isEmpty()) {
            fail("no checkpoint named; allowed: " + USAGE);
        }
        Map<OperatorID, String> uidsById = new HashMap<>();
        for (String uid : uids) {
            uidsById.put(OperatorIdentifier.forUid(uid).getOperatorId(), uid);
        }
        List<ObjectNode> inspected = new ArrayList<>();
        // The checkpoints whose source state the reading job reads, each once however often it is named.
        Set<String> withSource = new LinkedHashSet<>();
        for (String checkpoint : checkpoints) {
            try {
                CompletedCheckpointStorageLocation location = completeCheckpoint(checkpoint);
                CheckpointMetadata metadata = SavepointLoader.loadSavepointMetadata(location.getExternalPointer());
                inspected.add(inspect(location, metadata, uidsById));
                if (sourceUid != null && holdsOperator(metadata, sourceUid)) {
                    withSource.add(location.getExternalPointer());
                }
            } catch (Exception e) {
                fail("cannot read checkpoint " + checkpoint + ": "
                        + (e instanceof FileNotFoundException ? e.getMessage() : e.toString()));
            }
        }
        if (sourceUid != null) {
            Map<String, List<KafkaPartitionSplit>> splits = new HashMap<>();
            try {
                splits = kafkaSplits(withSource, sourceUid);
            } catch (Exception e) {
                // MiniCluster#start looks the host's own name up (its blob cache's address), whatever is configured.
                String unresolved = ExceptionUtils.findThrowable(e, UnknownHostException.class)
                        .map(unknown -> "; the State Processor API's mini cluster needs this host's name to resolve"
                                + " (add it to /etc/hosts)")
                        .orElse("");
                fail("cannot read the state of the source with uid \"" + sourceUid + "\" in " + withSource
                        + " with the State Processor API: " + e + unresolved);
            }
            for (ObjectNode result : inspected) {
                ArrayNode offsets = result.putArray("sourceOffsets");
                for (KafkaPartitionSplit split : splits.getOrDefault(result.get("checkpoint").asText(), List.of())) {
                    ObjectNode offset = offsets.addObject();
                    offset.put("operatorId", OperatorIdentifier.forUid(sourceUid).getOperatorId().toHexString());
                    offset.put("uid", sourceUid);
                    offset.put("topic", split.getTopic());
                    offset.put("partition", split.getPartition());
                    offset.put("offset", split.getStartingOffset());
                }
            }
        }
        ArrayNode output = JSON.createArrayNode();
        inspected.forEach(output::add);
        System.out.println(output.toString());
    }

    /**
     * The checkpoint's storage location, refusing a chk-N folder without _metadata: Flink writes that file last,
     * so such a folder is a checkpoint still being written, aborted or cut short, and nothing can restore it.
     */
    static CompletedCheckpointStorageLocation completeCheckpoint(String checkpoint) throws IOException {
        Path path = new Path(checkpoint);
        FileSystem fileSystem = path.getFileSystem();
        String metadataFile = AbstractFsCheckpointStorageAccess.METADATA_FILE_NAME;
        if (fileSystem.exists(path) && fileSystem.getFileStatus(path).isDir()
                && !fileSystem.exists(new Path(path, metadataFile))) {
            throw new FileNotFoundException(path + " has no " + metadataFile + ": the checkpoint is incomplete (still being "
                    + "written, aborted or cut short by a crash) and cannot be restored from; name a chk-N folder that has a "
                    + metadataFile);
        }
        return AbstractFsCheckpointStorageAccess.resolveCheckpointPointer(checkpoint);
    }

    static boolean holdsOperator(CheckpointMetadata metadata, String uid) {
        OperatorID id = OperatorIdentifier.forUid(uid).getOperatorId();
        return metadata.getOperatorStates().stream().anyMatch(operator -> operator.getOperatorID().equals(id));
    }

    /** The operators of the checkpoint, their state sizes and the files it references, from its metadata. */
    static ObjectNode inspect(CompletedCheckpointStorageLocation location, CheckpointMetadata metadata,
                              Map<OperatorID, String> uidsById) {
        ObjectNode result = JSON.createObjectNode();
        result.put("checkpoint", location.getExternalPointer());
        result.put("checkpointId", metadata.getCheckpointId());
        result.put("metadataBytes", location.getMetadataHandle().getStateSize());
        TreeSet<String> referencedFiles = new TreeSet<>();
        ArrayNode operators = result.putArray("operators");
        for (OperatorState operator : metadata.getOperatorStates()) {
            ObjectNode node = operators.addObject();
            node.put("operatorId", operator.getOperatorID().toHexString());
            node.put("uid", uidsById.get(operator.getOperatorID()));
            node.put("parallelism", operator.getParallelism());
            node.put("maxParallelism", operator.getMaxParallelism());
            node.put("stateBytes", operator.getStateSize());
            node.put("coordinatorStateBytes",
                    operator.getCoordinatorState() == null ? 0 : operator.getCoordinatorState().getStateSize());
            long keyedBytes = 0;
            int subtasksWithState = 0;
            TreeSet<String> operatorStateNames = new TreeSet<>();
            for (OperatorSubtaskState subtask : operator.getStates()) {
                if (subtask.getStateSize() > 0) subtasksWithState++;
                for (KeyedStateHandle keyed : subtask.getManagedKeyedState()) keyedBytes += keyed.getStateSize();
                for (KeyedStateHandle keyed : subtask.getRawKeyedState()) keyedBytes += keyed.getStateSize();
                for (OperatorStateHandle handle : subtask.getManagedOperatorState()) {
                    operatorStateNames.addAll(handle.getStateNameToPartitionOffsets().keySet());
                }
                for (StateObject handle : subtask.getDiscardables()) collectFiles(handle, referencedFiles);
            }
            node.put("subtasksWithState", subtasksWithState);
            node.put("keyedStateBytes", keyedBytes);
            ArrayNode names = node.putArray("operatorStateNames");
            operatorStateNames.forEach(names::add);
        }
        ArrayNode files = result.putArray("referencedFiles");
        referencedFiles.forEach(files::add);
        return result;
    }

    /**
     * The Kafka splits of the source with `sourceUid` in each checkpoint (by its external pointer), by topic and
     * partition: its split list state read with SavepointReader, every checkpoint in one job, so one mini cluster
     * starts however many checkpoints are named. Each has an operator with that uid.
     */
    static Map<String, List<KafkaPartitionSplit>> kafkaSplits(Collection<String> named, String sourceUid) throws Exception {
        Map<String, List<KafkaPartitionSplit>> splits = new HashMap<>();
        if (named.isEmpty()) return splits;
        List<String> checkpoints = new ArrayList<>(named);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(1, loopbackOnly());
        DataStream<Tuple2<Integer, byte[]>> states = null;
        for (int index = 0; index < checkpoints.size(); index++) {
            DataStream<Tuple2<Integer, byte[]>> state = SavepointReader.read(env, checkpoints.get(index))
                    .readListState(OperatorIdentifier.forUid(sourceUid), SOURCE_SPLITS_STATE,
                            PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO)
                    .map(new TagWithCheckpoint(index))
                    .returns(Types.TUPLE(Types.INT, PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO));
            states = states == null ? state : states.union(state);
        }
        KafkaPartitionSplitSerializer serializer = new KafkaPartitionSplitSerializer();
        try (CloseableIterator<Tuple2<Integer, byte[]>> read = states.executeAndCollect("checkpoint-inspector")) {
            while (read.hasNext()) {
                Tuple2<Integer, byte[]> element = read.next();
                splits.computeIfAbsent(checkpoints.get(element.f0), checkpoint -> new ArrayList<>())
                        .add(SimpleVersionedSerialization.readVersionAndDeSerialize(serializer, element.f1));
            }
        }
        Comparator<KafkaPartitionSplit> byPartition =
                Comparator.comparing(KafkaPartitionSplit::getTopic).thenComparing(KafkaPartitionSplit::getPartition);
        splits.values().forEach(list -> list.sort(byPartition));
        return splits;
    }

    /** The reading job's mini cluster serves only this process: its endpoints on loopback, on free ports. */
    private static Configuration loopbackOnly() {
        Configuration configuration = new Configuration();
        configuration.set(RestOptions.BIND_ADDRESS, "127.0.0.1");
        configuration.set(RestOptions.BIND_PORT, "0");
        configuration.set(JobManagerOptions.BIND_HOST, "127.0.0.1");
        configuration.set(TaskManagerOptions.BIND_HOST, "127.0.0.1");
        return configuration;
    }

    /** Marks each split state element with the checkpoint it was read from, for the union of all of them. */
    private static final class TagWithCheckpoint implements MapFunction<byte[], Tuple2<Integer, byte[]>> {
        private final int checkpoint;

        TagWithCheckpoint(int checkpoint) {
            this.checkpoint = checkpoint;
        }

        @Override
        public Tuple2<Integer, byte[]> map(byte[] split) {
            return Tuple2.of(checkpoint, split);
        }
    }

    /** Adds the files a state handle keeps its bytes in; bytes inline in _metadata have none. */
    static void collectFiles(StateObject handle, Collection<String> files) {
        if (handle instanceof FileStateHandle) {
            files.add(((FileStateHandle) handle).getFilePath().toString());
        } else if (handle instanceof ByteStreamStateHandle) {
            return;
        } else if (handle instanceof OperatorStreamStateHandle) {
            collectFiles(((OperatorStreamStateHandle) handle).getDelegateStateHandle(), files);
        } else if (handle instanceof KeyGroupsStateHandle) {
            collectFiles(((KeyGroupsStateHandle) handle).getDelegateStateHandle(), files);
        } else if (handle instanceof AbstractChannelStateHandle) {
            collectFiles(((AbstractChannelStateHandle<?>) handle).getDelegate(), files);
        } else if (handle instanceof IncrementalRemoteKeyedStateHandle) {
            IncrementalRemoteKeyedStateHandle incremental = (IncrementalRemoteKeyedStateHandle) handle;
            collectFiles(incremental.getMetaDataStateHandle(), files);
            for (HandleAndLocalPath shared : incremental.getSharedState()) collectFiles(shared.getHandle(), files);
            for (HandleAndLocalPath owned : incremental.getPrivateState()) collectFiles(owned.getHandle(), files);
        } else {
            // A kind this tool does not know may hold files: refuse rather than under-report to prune.
            throw new IllegalStateException("unknown state handle " + handle.getClass().getName()
                    + "; its files cannot be listed");
        }
    }

    private static void fail(String message) {
        System.err.println("checkpoint-inspector: " + message);
        System.exit(1);
    }
}
