// Kafka offsets per partition, as the readers, the judging and the benchmarks pass them around.

/** Kafka offsets per partition: the next offset to read, i.e. an exclusive end. Absent partition = 0. */
export type PartitionOffsets = Readonly<Record<number, number>>;

export function offsetIn(offsets: PartitionOffsets, partition: number): number {
  return offsets[partition] ?? 0;
}

/** `p0=12 p1=7`, for logs. */
export const formatOffsets = (offsets: PartitionOffsets): string =>
  Object.entries(offsets)
    .map(([p, o]) => `p${p}=${o}`)
    .join(" ") || "none";

/** Whether every partition of `target` is reached by `reached`. */
export function offsetsReach(reached: PartitionOffsets, target: PartitionOffsets): boolean {
  return Object.entries(target).every(([p, o]) => (reached[Number(p)] ?? 0) >= o);
}
