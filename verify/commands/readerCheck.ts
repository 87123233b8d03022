// `npm run reader-check`: the verification's read_committed reader against a real broker, compared with Kafka's
// Java console consumer (in the broker's container) and with kafkajs's consumer. See READER_CHECK_USAGE.

import { problemLines } from "../../lib/args";
import { parseReaderCheckArguments, READER_CHECK_USAGE, type ReaderCheckArguments, ReaderCheckUsageError } from "../reader/crossCheck";
import { checkReader } from "../reader/readerCheck";

const EXIT = { agree: 0, disagree: 1, usage: 2, failed: 3 } as const;
const log = (line: string) => console.log(`reader-check: ${line}`);

export async function main(argv: readonly string[]): Promise<number> {
  let args: ReaderCheckArguments;
  try {
    const parsed = parseReaderCheckArguments(argv);
    if (parsed.help) {
      console.log(READER_CHECK_USAGE);
      return EXIT.agree;
    }
    args = parsed.args;
  } catch (error) {
    if (!(error instanceof ReaderCheckUsageError)) throw error;
    console.error(problemLines("reader-check", error.message));
    return EXIT.usage;
  }
  try {
    return (await checkReader(args, log)) ? EXIT.agree : EXIT.disagree;
  } catch (error) {
    console.error(`reader-check: failed: ${(error as Error).message}`);
    return EXIT.failed;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(`reader-check: unexpected failure: ${(error as Error).stack ?? String(error)}`);
      process.exit(EXIT.failed);
    },
  );
}
