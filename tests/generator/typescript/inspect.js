// Reports what generated TypeScript packages declare, for tests/generator (test_typescript.py,
// test_safety.py). Usage: node inspect.js TYPESCRIPT_MODULE_DIR PACKAGE_DIR...
// Prints {package: {files: {name: [top-level statement kinds]}, imports: {name: [specifiers]},
// topicNames, streamName}}; topics.ts is transpiled and run to read its constants back.
"use strict";

const fs = require("fs");
const path = require("path");
const vm = require("vm");
const ts = require(process.argv[2]);

const out = {};
for (const directory of process.argv.slice(3)) {
  const files = {};
  const imports = {};
  for (const name of fs.readdirSync(directory).filter((n) => n.endsWith(".ts")).sort()) {
    const text = fs.readFileSync(path.join(directory, name), "utf8");
    const source = ts.createSourceFile(name, text, ts.ScriptTarget.ES2022, true);
    files[name] = source.statements.map((statement) => ts.SyntaxKind[statement.kind]);
    imports[name] = source.statements
      .filter((s) => ts.isImportDeclaration(s) || ts.isExportDeclaration(s))
      .filter((s) => s.moduleSpecifier !== undefined)
      .map((s) => s.moduleSpecifier.text);
  }
  const topics = fs.readFileSync(path.join(directory, "topics.ts"), "utf8");
  const js = ts.transpileModule(topics, {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
  }).outputText;
  const module = { exports: {} };
  vm.runInNewContext(js, { module, exports: module.exports, require: () => ({}) });
  out[directory] = {
    files,
    imports,
    topicNames: [...module.exports.TOPIC_NAMES],
    streamName: module.exports.STREAM_NAME,
  };
}
process.stdout.write(JSON.stringify(out));
