package org.flinkcheckpointer.inspector;

import org.apache.flink.api.common.ExecutionConfig;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.typeutils.base.array.BytePrimitiveArraySerializer;
import org.apache.flink.connector.kafka.source.split.KafkaPartitionSplit;
import org.apache.flink.connector.kafka.source.split.KafkaPartitionSplitSerializer;
import org.apache.flink.core.fs.CloseableRegistry;
import org.apache.flink.core.io.SimpleVersionedSerialization;
import org.apache.flink.runtime.checkpoint.Checkpoints;
import org.apache.flink.runtime.checkpoint.OperatorState;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.checkpoint.metadata.CheckpointMetadata;
import org.apache.flink.runtime.jobgraph.OperatorID;
import org.apache.flink.runtime.state.AbstractChannelStateHandle;
import org.apache.flink.runtime.state.CompletedCheckpointStorageLocation;
import org.apache.flink.runtime.state.DefaultOperatorStateBackend;
import org.apache.flink.runtime.state.DefaultOperatorStateBackendBuilder;
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

import org.apache.flink.shaded.guava31.com.google.common.hash.Hashing;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.node.ArrayNode;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.DataInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * What retained checkpoints hold, as one JSON array on stdout (one object per checkpoint):
 *
 * <pre>java -cp '/opt/flink/lib/*:checkpoint-inspector.jar' org.flinkcheckpointer.inspector.CheckpointInspector
 *     [--uid UID]... CHECKPOINT...</pre>
 *
 * CHECKPOINT is a chk-N folder or its _metadata (path or file:// URI). Each --uid names an operator
 * uid of the job: Flink derives an operator's id from its uid alone, so the operators of the
 * checkpoint are named by the uids whose ids they carry. The source offsets are the Kafka source
 * readers' splits, restored from the checkpoint with Flink's own operator state backend: the very
 * bytes and code a restored job starts reading from.
 */
public final class CheckpointInspector {

    /** SourceOperator's list state of the reader's splits (SourceOperator.SPLITS_STATE_DESC). */
    private static final String SOURCE_SPLITS_STATE = "SourceReaderState";

    private static final ObjectMapper JSON = new ObjectMapper();

    private CheckpointInspector() {}

    public static void main(String[] args) {
        List<String> uids = new ArrayList<>();
        List<String> checkpoints = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--uid") && i + 1 < args.length) {
                uids.add(args[++i]);
            } else if (args[i].startsWith("--")) {
                fail("unexpected argument \"" + args[i] + "\"; allowed: [--uid UID]... CHECKPOINT...");
            } else {
                checkpoints.add(args[i]);
            }
        }
        if (checkpoints.isEmpty()) {
            fail("no checkpoint named; allowed: [--uid UID]... CHECKPOINT... (a chk-N folder or its _metadata)");
        }
        Map<OperatorID, String> uidsById = new HashMap<>();
        for (String uid : uids) {
            uidsById.put(operatorIdOfUid(uid), uid);
        }
        ArrayNode inspected = JSON.createArrayNode();
        for (String checkpoint : checkpoints) {
            try {
                inspected.add(inspect(checkpoint, uidsById));
            } catch (Exception e) {
                fail("cannot read checkpoint " + checkpoint + ": " + e);
            }
        }
        System.out.println(inspected.toString());
    }

    /** The operator id Flink gives an operator with this uid (StreamGraphHasherV2#generateUserSpecifiedHash). */
    static OperatorID operatorIdOfUid(String uid) {
        return new OperatorID(
                Hashing.murmur3_128(0).newHasher().putString(uid, StandardCharsets.UTF_8).hash().asBytes());
    }

    static ObjectNode inspect(String checkpoint, Map<OperatorID, String> uidsById) throws Exception {
        CompletedCheckpointStorageLocation location =
                AbstractFsCheckpointStorageAccess.resolveCheckpointPointer(checkpoint);
        CheckpointMetadata metadata;
        try (DataInputStream in = new DataInputStream(location.getMetadataHandle().openInputStream())) {
            metadata = Checkpoints.loadCheckpointMetadata(
                    in, CheckpointInspector.class.getClassLoader(), location.getExternalPointer());
        }
        ObjectNode result = JSON.createObjectNode();
        result.put("checkpoint", location.getExternalPointer());
        result.put("checkpointId", metadata.getCheckpointId());
        result.put("metadataBytes", location.getMetadataHandle().getStateSize());
        TreeSet<String> referencedFiles = new TreeSet<>();
        ArrayNode operators = result.putArray("operators");
        ArrayNode sourceOffsets = result.putArray("sourceOffsets");
        for (OperatorState operator : metadata.getOperatorStates()) {
            String uid = uidsById.get(operator.getOperatorID());
            ObjectNode node = operators.addObject();
            node.put("operatorId", operator.getOperatorID().toHexString());
            node.put("uid", uid);
            node.put("parallelism", operator.getParallelism());
            node.put("maxParallelism", operator.getMaxParallelism());
            node.put("stateBytes", operator.getStateSize());
            node.put("coordinatorStateBytes",
                    operator.getCoordinatorState() == null ? 0 : operator.getCoordinatorState().getStateSize());
            long keyedBytes = 0;
            int subtasksWithState = 0;
            TreeSet<String> operatorStateNames = new TreeSet<>();
            List<OperatorStateHandle> managedOperatorState = new ArrayList<>();
            for (OperatorSubtaskState subtask : operator.getStates()) {
                if (subtask.getStateSize() > 0) subtasksWithState++;
                for (KeyedStateHandle keyed : subtask.getManagedKeyedState()) keyedBytes += keyed.getStateSize();
                for (KeyedStateHandle keyed : subtask.getRawKeyedState()) keyedBytes += keyed.getStateSize();
                for (OperatorStateHandle handle : subtask.getManagedOperatorState()) {
                    operatorStateNames.addAll(handle.getStateNameToPartitionOffsets().keySet());
                    managedOperatorState.add(handle);
                }
                for (StateObject handle : subtask.getDiscardables()) collectFiles(handle, referencedFiles);
            }
            node.put("subtasksWithState", subtasksWithState);
            node.put("keyedStateBytes", keyedBytes);
            ArrayNode names = node.putArray("operatorStateNames");
            operatorStateNames.forEach(names::add);
            if (operatorStateNames.contains(SOURCE_SPLITS_STATE)) {
                for (KafkaPartitionSplit split : kafkaSplits(managedOperatorState)) {
                    ObjectNode offset = sourceOffsets.addObject();
                    offset.put("operatorId", operator.getOperatorID().toHexString());
                    offset.put("uid", uid);
                    offset.put("topic", split.getTopic());
                    offset.put("partition", split.getPartition());
                    offset.put("offset", split.getStartingOffset());
                }
            }
        }
        ArrayNode files = result.putArray("referencedFiles");
        referencedFiles.forEach(files::add);
        return result;
    }

    /** The source readers' splits, read back the way SourceOperator#initializeState restores them. */
    static List<KafkaPartitionSplit> kafkaSplits(Collection<OperatorStateHandle> handles) throws Exception {
        List<KafkaPartitionSplit> splits = new ArrayList<>();
        try (CloseableRegistry registry = new CloseableRegistry()) {
            DefaultOperatorStateBackend backend = new DefaultOperatorStateBackendBuilder(
                    CheckpointInspector.class.getClassLoader(), new ExecutionConfig(), false, handles, registry)
                    .build();
            try {
                ListState<byte[]> state = backend.getListState(
                        new ListStateDescriptor<>(SOURCE_SPLITS_STATE, BytePrimitiveArraySerializer.INSTANCE));
                KafkaPartitionSplitSerializer serializer = new KafkaPartitionSplitSerializer();
                for (byte[] serialized : state.get()) {
                    splits.add(SimpleVersionedSerialization.readVersionAndDeSerialize(serializer, serialized));
                }
            } finally {
                backend.dispose();
            }
        }
        return splits;
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
