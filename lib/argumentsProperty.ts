// For tests: arbitrary command lines for a command's parser (its own options, with and without values, values at the
// edges of what numbers, names, addresses and paths may be, and arbitrary text), and the property every parser must
// have: it returns arguments that are valid, or throws its own usage error with a message, never anything else.

import fc from "fast-check";

/** Values where parsers go wrong: what Number() takes but a count cannot hold, signs, blanks, control characters. */
const EDGE_VALUES = [
  "",
  " ",
  "0",
  "-0",
  "-1",
  "1",
  "2",
  "0.0001",
  "1.5",
  "86400",
  "86401",
  "1e3",
  "1e999",
  "NaN",
  "Infinity",
  "-Infinity",
  "0x10",
  "0b11",
  " 7",
  "7 ",
  "2147483648",
  "9007199254740993",
  "99999999999999999999",
  "latest",
  "all",
  "both",
  "-",
  "--",
  "=",
  "a b",
  "\n",
  "\u0000",
  "file:///checkpoints_flink/0123456789abcdef0123456789abcdef/chk-3",
  "/tmp/x",
  "reports/x.html",
  "reports/x.svg",
  "http://127.0.0.1:8081",
  "http://:8081",
  "127.0.0.1:9094",
  "kafka:99999",
  "0123456789abcdef0123456789abcdef",
  "docker",
  "ci",
];

/** Argument lists of up to 12 tokens built from `options` (a command's words) and edge and arbitrary values. */
export function argumentLists(options: readonly string[]): fc.Arbitrary<string[]> {
  const option = fc.constantFrom(...options);
  const value = fc.oneof(fc.constantFrom(...EDGE_VALUES), fc.string(), fc.string({ unit: "grapheme" }));
  const token = fc.oneof(
    { weight: 4, arbitrary: option },
    { weight: 2, arbitrary: fc.tuple(option, value).map(([name, text]) => `${name}=${text}`) },
    { weight: 4, arbitrary: value },
  );
  return fc.array(token, { maxLength: 12 });
}

/**
 * Asserts, over `runs` arbitrary argument lists, that `parse` either returns a result `valid` accepts or throws a
 * `usageError` with a message; any other outcome (another error, a TypeError, an invalid result) fails with the
 * argument list that caused it.
 */
export function assertArgumentsParseOrAreRefused<T>(
  lists: fc.Arbitrary<string[]>,
  parse: (argv: readonly string[]) => T,
  usageError: abstract new (...args: never[]) => Error,
  valid: (result: T) => boolean,
  runs = 3_000,
): void {
  fc.assert(
    fc.property(lists, (argv) => {
      let result: T;
      try {
        result = parse(argv);
      } catch (error) {
        return error instanceof usageError && error.message.split("\n").every((line) => line.trim().length > 0);
      }
      return valid(result);
    }),
    { numRuns: runs },
  );
}
