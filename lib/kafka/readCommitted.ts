// read_committed filtering of one fetch response of one partition, as Kafka's Java consumer does it
// (clients/.../consumer/internals/CompletedFetch.java). A pure function, so it is tested without a broker.
//
// Why not kafkajs's filter: the broker lists a fetch's aborted transactions in the order they ENDED (its
// .txnindex), not by first offset. kafkajs 2.2.4 walks that list in the order sent and lets each record move
// at most one transaction into its aborted set, so when transaction A starts before B but B is aborted first,
// A's records before B's first offset get through as if committed. Kafka orders the list by first offset (a
// priority queue) and, before judging each batch, moves every aborted transaction that began at or before the
// batch's last offset into the aborted set.

/** A transaction the broker reports as aborted within the fetched range. */
export interface AbortedTransaction {
  readonly producerId: bigint;
  readonly firstOffset: number;
}

export interface FetchedRecord {
  readonly offset: number;
  readonly timestampMs: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
}

/** A decoded RecordBatch v2; control batches keep their one control record. */
export interface FetchedBatch {
  readonly baseOffset: number;
  readonly lastOffset: number;
  /** -1 when the batch was written by a producer without an id (neither idempotent nor transactional). */
  readonly producerId: bigint;
  readonly isTransactional: boolean;
  readonly isControl: boolean;
  /** The control record's type (CONTROL_TYPE) for a control batch, else null. */
  readonly controlType: number | null;
  readonly records: readonly FetchedRecord[];
}

/** What a fetch response holds for one partition, with the offset the fetch asked for. */
export interface PartitionFetch {
  readonly fetchOffset: number;
  /** In the broker's order; null or empty when nothing in the range was aborted. */
  readonly abortedTransactions: readonly AbortedTransaction[] | null;
  readonly batches: readonly FetchedBatch[];
}

export const CONTROL_TYPE = { abort: 0, commit: 1 } as const;

export interface CommittedRead {
  /** The committed records at or beyond the fetch offset, in offset order. */
  readonly records: FetchedRecord[];
  /** Where the next fetch starts: past the last batch, whether its offsets held records, markers or aborted data. */
  readonly nextOffset: number;
}

export function readCommitted(fetch: PartitionFetch): CommittedRead {
  const pending = [...(fetch.abortedTransactions ?? [])].sort((a, b) => a.firstOffset - b.firstOffset);
  const abortedProducers = new Set<bigint>();
  const records: FetchedRecord[] = [];
  let nextOffset = fetch.fetchOffset;
  for (const batch of fetch.batches) {
    nextOffset = Math.max(nextOffset, batch.lastOffset + 1);
    if (batch.producerId >= 0n) {
      while (pending.length > 0 && pending[0]!.firstOffset <= batch.lastOffset) abortedProducers.add(pending.shift()!.producerId);
      if (batch.isControl && batch.controlType === CONTROL_TYPE.abort) abortedProducers.delete(batch.producerId);
      else if (batch.isTransactional && abortedProducers.has(batch.producerId)) continue;
    }
    if (batch.isControl) continue;
    for (const record of batch.records) if (record.offset >= fetch.fetchOffset) records.push(record);
  }
  return { records, nextOffset };
}
