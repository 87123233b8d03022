// Command-line values checked one way for every command (verify, checkpoints, reader-check, report-check, bench):
// plain decimal numbers within the range their use can hold, names and addresses of the form their tool takes, and
// one line per problem naming the argument, the value given and what is allowed.

import { accessSync, constants, existsSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";

/** The longest delay setTimeout keeps: 2^31-1 ms (about 24.8 days); a longer one fires at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** The longest wait any command takes: a day. Anything longer is a typo, and stays far below MAX_TIMER_MS. */
export const MAX_WAIT_SECONDS = 86_400;

/** The one-line problem with an argument's value. */
export function notAllowed(argument: string, value: string, allowed: string): string {
  return `${argument} ${JSON.stringify(value)} is not allowed: ${allowed}`;
}

/** An error message of several problems as the lines a command prints, each prefixed with the command. */
export function problemLines(command: string, message: string): string {
  return message
    .split("\n")
    .map((line) => `${command}: ${line}`)
    .join("\n");
}

/**
 * A whole number written in decimal digits only, from min to max; undefined otherwise. Number() alone would take
 * "", " 7", "0x10", "1e3", "-0" and "Infinity".
 */
export function wholeNumber(text: string, min: number, max: number): number | undefined {
  if (!/^[0-9]{1,16}$/.test(text)) return undefined;
  const value = Number(text);
  return value >= min && value <= max ? value : undefined;
}

/**
 * Seconds written as decimal digits with at most three decimals, as whole milliseconds from minMs to maxMs; undefined
 * otherwise (a sign, an exponent, NaN, Infinity, negative zero, or a value beyond the range).
 */
export function secondsAsMs(text: string, minMs: number, maxMs: number): number | undefined {
  if (!/^[0-9]{1,9}(\.[0-9]{1,3})?$/.test(text)) return undefined;
  const ms = Math.round(Number(text) * 1000);
  return ms >= minMs && ms <= maxMs ? ms : undefined;
}

/** What a Pulumi stack name may hold (`pulumi stack init` refuses other characters). */
export const STACK_NAME_ALLOWED = "a Pulumi stack name: 1 to 100 letters, digits, '-', '_' or '.'";
export const isStackName = (text: string): boolean => /^[A-Za-z0-9_.-]{1,100}$/.test(text);

/** A Flink job id: 32 lowercase hexadecimal digits, as the REST API and the checkpoint folders write it. */
export const JOB_ID_ALLOWED = "a Flink job id: 32 hexadecimal digits, as in the Flink UI";
export const isJobId = (text: string): boolean => /^[0-9a-f]{32}$/.test(text);

/** host:port with a port from 1 to 65535. */
export const HOST_PORT_ALLOWED = "host:port with a port from 1 to 65535, such as 127.0.0.1:9094";
export function isHostPort(text: string): boolean {
  const match = /^([A-Za-z0-9.-]{1,253}):([0-9]{1,5})$/.exec(text);
  return match !== null && Number(match[2]) >= 1 && Number(match[2]) <= 65_535;
}

/** An http:// or https:// URL with a host (and a valid port, if any). */
export const HTTP_URL_ALLOWED = "an http:// or https:// URL with a host, such as http://127.0.0.1:8081";
export function isHttpUrl(text: string): boolean {
  if (!/^https?:\/\/[^\s/?#]+/.test(text)) return false;
  try {
    const url = new URL(text);
    return (url.protocol === "http:" || url.protocol === "https:") && url.hostname !== "";
  } catch {
    return false;
  }
}

/** A path to write or read: not empty, no control characters (a newline or NUL in a path is a pasting mistake). */
export const PATH_ALLOWED = "a path without control characters";
export const isPath = (text: string): boolean =>
  text.length > 0 && [...text].every((character) => character.charCodeAt(0) >= 32 && character.charCodeAt(0) !== 127);

/**
 * Why a file cannot be written at `path` (undefined when it can, or its folders can be made): checked before a
 * command works for minutes, so a report path that fails ends at once instead of after the run. Nothing is created.
 */
export function unwritableFileProblem(path: string): string | undefined {
  const target = resolve(path);
  if (existsSync(target) && !statSync(target).isFile()) return "it exists and is not a file";
  return unwritableFolderProblem(dirname(target));
}

/** Why a folder cannot be written at `path` or made there (undefined when it can); nothing is created. */
export function unwritableFolderProblem(path: string): string | undefined {
  let existing = resolve(path);
  while (!existsSync(existing)) existing = dirname(existing);
  if (!statSync(existing).isDirectory()) return `${existing} is not a folder`;
  try {
    accessSync(existing, constants.W_OK);
  } catch {
    return `${existing} is not writable by this user`;
  }
  return undefined;
}
