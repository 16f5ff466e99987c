// Runs json-schema-to-typescript for wstream-gen (wstream_gen/typescript/types.py).
// Reads {package, order, defs} as JSON on stdin; writes {types: {name: TypeScript source},
// errors: {name: message}} on stdout, so each failure is reported at its own definition.
"use strict";

const chunks = [];
process.stdin.on("data", (chunk) => chunks.push(chunk));
process.stdin.on("end", () => {
  main(JSON.parse(Buffer.concat(chunks).toString("utf8"))).then(
    (out) => process.stdout.write(JSON.stringify(out)),
    (error) => {
      process.stderr.write(String(error && error.message ? error.message : error) + "\n");
      process.exitCode = 1;
    },
  );
});

async function main(request) {
  const { compile } = require(request.package);
  const options = {
    bannerComment: "",
    // Each definition is compiled on its own: the ones it references are named, not repeated.
    declareExternallyReferenced: false,
    // An object accepts only its declared properties unless its schema says otherwise.
    additionalProperties: false,
    ignoreMinAndMaxItems: true,
    strictIndexSignatures: true,
    // A $ref never leaves the document: no file or network is read.
    $refOptions: { resolve: { external: false } },
  };
  const types = {};
  const errors = {};
  for (const name of request.order) {
    const root = { ...request.defs[name], $defs: request.defs };
    try {
      types[name] = await compile(root, name, options);
    } catch (error) {
      errors[name] = String(error && error.message ? error.message : error);
    }
  }
  return { types, errors };
}
