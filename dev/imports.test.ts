// The architecture the folders show, held against the code's imports: no import circle (type-only imports count:
// they tie modules as much as values do), and each folder imports only the folders below it.

import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const ROOT = resolve(__dirname, "..");
const SKIP = new Set(["node_modules", ".git", "reports", "dist"]);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (SKIP.has(name) || name.startsWith(".")) return [];
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith(".ts") ? [relative(ROOT, path)] : [];
  });
}

/** The repository files a file imports (relative specifiers only: packages are not the project's architecture). */
function importsOf(file: string, text: string, exists: (path: string) => boolean): string[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022);
  const specifiers: string[] = [];
  const visit = (node: ts.Node): void => {
    if (
      (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) &&
      node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      specifiers.push(node.moduleSpecifier.text);
    } else if (ts.isCallExpression(node) && node.arguments.length === 1 && ts.isStringLiteral(node.arguments[0]!)) {
      const callee = node.expression;
      if (callee.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(callee) && callee.text === "require"))
        specifiers.push(node.arguments[0].text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return specifiers
    .filter((s) => s.startsWith("."))
    .flatMap((s) => {
      const base = join(dirname(file), s);
      const found = [`${base}.ts`, `${base}/index.ts`, base].find(exists);
      return found ? [found] : [];
    });
}

/** Every circle of imports among the files, each once, as a path that ends where it starts. */
function circles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const found = new Map<string, string[]>();
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const walk = (file: string): void => {
    state.set(file, "open");
    stack.push(file);
    for (const next of graph.get(file) ?? []) {
      if (state.get(next) === "open") {
        const circle = stack.slice(stack.indexOf(next));
        found.set([...circle].sort().join(" "), [...circle, next]);
      } else if (!state.has(next)) walk(next);
    }
    stack.pop();
    state.set(file, "done");
  };
  for (const file of graph.keys()) if (!state.has(file)) walk(file);
  return [...found.values()];
}

/**
 * What each part of the tree may import, besides itself: the Pulumi program and the shared library sit low, the
 * verification above them, the benchmarks and the end-to-end run on top. A rule is a path prefix.
 */
const MAY_IMPORT: Readonly<Record<string, readonly string[]>> = {
  "jobs/": [],
  "lib/": ["infra/contract.ts", "jobs/flink/settings.ts", "versions.json"],
  "infra/": ["lib/", "jobs/flink/settings.ts"],
  "setup/": ["lib/"],
  "verify/": ["lib/", "infra/contract.ts", "jobs/flink/settings.ts"],
  // The benchmarks derive stacks by config keys and drive the generator's own schedule.
  "bench/": ["lib/", "verify/index.ts", "infra/contract.ts", "infra/config.ts", "jobs/"],
  "e2e/": ["lib/", "verify/index.ts", "bench/", "infra/contract.ts", "jobs/flink/settings.ts"],
  "dev/": [""],
};

/** Within verify/: what its parts may use of each other (the commands only parse and call the library). */
const VERIFY_MAY_IMPORT: Readonly<Record<string, readonly string[]>> = {
  "verify/judge/": ["verify/run/evidence.ts"],
  "verify/run/": ["verify/judge/", "verify/report/"],
  "verify/report/": ["verify/judge/", "verify/run/evidence.ts", "verify/run/timeline.ts"],
  "verify/reader/": [],
  "verify/index.ts": ["verify/run/", "verify/judge/", "verify/report/", "verify/reader/"],
  "verify/commands/": ["verify/"],
};

function ruleBreaks(file: string, imported: string, rules: Readonly<Record<string, readonly string[]>>): boolean {
  const part = Object.keys(rules).find((prefix) => file.startsWith(prefix));
  if (rules === VERIFY_MAY_IMPORT && !imported.startsWith("verify/")) return false;
  if (part === undefined || imported.startsWith(part)) return false;
  return !rules[part]!.some((allowed) => imported.startsWith(allowed));
}

const files = sourceFiles(ROOT);
const exists = (path: string) => {
  try {
    return statSync(join(ROOT, path)).isFile();
  } catch {
    return false;
  }
};
const graph = new Map(files.map((file) => [file, importsOf(file, readFileSync(join(ROOT, file), "utf8"), exists)]));

describe("the imports", () => {
  it("form no circle among the program's files", () => {
    const program = new Map([...graph].filter(([file]) => !file.endsWith(".test.ts")));
    expect(circles(program).map((circle) => circle.join(" -> "))).toEqual([]);
  });

  it("go only downwards between the folders", () => {
    const breaks = [...graph].flatMap(([file, imported]) =>
      imported.filter((i) => ruleBreaks(file, i, MAY_IMPORT) || ruleBreaks(file, i, VERIFY_MAY_IMPORT)).map((i) => `${file} -> ${i}`),
    );
    expect(breaks).toEqual([]);
  });

  it("are read from every kind of import, and their circles and rule breaks are found", () => {
    const text =
      'import type { A } from "./a";\nexport { B } from "../lib/b";\nconst c = require("./c");\nimport("./d");\nimport x from "kafkajs";\n';
    const known = new Set(["verify/a.ts", "lib/b.ts", "verify/c/index.ts", "verify/d.ts"]);
    expect(importsOf("verify/x.ts", text, (p) => known.has(p))).toEqual(["verify/a.ts", "lib/b.ts", "verify/c/index.ts", "verify/d.ts"]);
    const withCircle = new Map([
      ["a.ts", ["b.ts"]],
      ["b.ts", ["c.ts"]],
      ["c.ts", ["a.ts"]],
      ["d.ts", ["a.ts"]],
    ]);
    expect(circles(withCircle)).toEqual([["a.ts", "b.ts", "c.ts", "a.ts"]]);
    expect(ruleBreaks("lib/kafka/reader.ts", "verify/judge/records.ts", MAY_IMPORT)).toBe(true);
    expect(ruleBreaks("bench/load.ts", "verify/run/faults.ts", MAY_IMPORT)).toBe(true);
    expect(ruleBreaks("bench/load.ts", "verify/index.ts", MAY_IMPORT)).toBe(false);
    expect(ruleBreaks("verify/judge/output.ts", "verify/run/cycle.ts", VERIFY_MAY_IMPORT)).toBe(true);
  });
});
