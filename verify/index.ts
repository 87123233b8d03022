// The verification as a library: faults run against a stack and judged from the data, one at a time or as a matrix.
// The commands (commands/) and the benchmarks (bench/) call it here, never its internals.

export { expectedFirings, groundTruth, type WindowModel, windowModelOf } from "./judge/output";
export { type Firing, firingKey, parseFiring, parseVisit, type Visit, windowKey, windowStartOf } from "./judge/records";
export { BROKER_INSIDE, DEFAULT_TIMEOUT_MS as READER_CHECK_TIMEOUT_MS, type ReaderCheckArguments } from "./reader/crossCheck";
export { checkReader } from "./reader/readerCheck";
export type { MatrixReport, MatrixRow, VerifyReport } from "./report/model";
export { checkReportPage } from "./report/pageCheck";
export { type CycleOptions, DEFAULT_CYCLE_OPTIONS } from "./run/cycle";
export { type FaultRequest, type FaultResult, runFault } from "./run/fault";
export { FAULT_NAMES, type FaultName, nextFlinkLine, parseFaultList, STACK_CHANGING_FAULTS } from "./run/faults";
export { faultReportPath, type MatrixRequest, type MatrixResult, runMatrix } from "./run/matrix";
