// kafkajs 2.2.4's own read_committed filter applied to a decoded fetch response, exactly as its consumer's
// Batch applies it (node_modules/kafkajs/src/consumer/batch.js): records below the fetch offset dropped,
// filterAbortedMessages over records and control records with the aborted list in the broker's order, then
// control records dropped. It lets the reader's tests and `npm run reader-check` show where kafkajs goes wrong.

import type { FetchedRecord, PartitionFetch } from "./readCommitted";

interface KafkajsMessage {
  offset: string;
  key: Buffer | null;
  isControlRecord: boolean;
  batchContext: { producerId: string; inTransaction: boolean };
  record: FetchedRecord;
}

type KafkajsFilter = (input: {
  messages: KafkajsMessage[];
  abortedTransactions: { producerId: string; firstOffset: string }[];
}) => KafkajsMessage[];

// kafkajs ships it as plain JavaScript without types; the signature above is what its JSDoc says.
const filterAbortedMessages: KafkajsFilter = require("kafkajs/src/consumer/filterAbortedMessages");

/** The records kafkajs's consumer would hand out for this fetch. */
export function kafkajsReadCommitted(fetch: PartitionFetch): FetchedRecord[] {
  const messages: KafkajsMessage[] = fetch.batches.flatMap((batch) =>
    batch.records.map((record) => ({
      offset: String(record.offset),
      key: record.key,
      isControlRecord: batch.isControl,
      batchContext: { producerId: String(batch.producerId), inTransaction: batch.isTransactional },
      record,
    })),
  );
  const withinOffset = messages.filter((m) => Number(m.offset) >= fetch.fetchOffset);
  const abortedTransactions = (fetch.abortedTransactions ?? []).map((t) => ({
    producerId: String(t.producerId),
    firstOffset: String(t.firstOffset),
  }));
  return filterAbortedMessages({ messages: withinOffset, abortedTransactions })
    .filter((m) => !m.isControlRecord)
    .map((m) => m.record);
}
