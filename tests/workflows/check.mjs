// Parse and validate GitHub Actions workflow files with GitHub's own parser
// (@actions/workflow-parser, the schema GitHub's tools use). Prints one line
// per error, "<file>: <message>", and exits 1 if there is any.
import { readFileSync } from "node:fs";
import { register } from "node:module";
import { basename } from "node:path";

// The package imports its schema JSON without an import attribute (it is
// written for bundlers); Node needs one: add it for .json files.
const hooks = `export async function load(url, context, next) {
  if (url.endsWith(".json")) {
    context = { ...context, importAttributes: { ...context.importAttributes, type: "json" } };
  }
  return next(url, context);
}`;
register("data:text/javascript," + encodeURIComponent(hooks));
const { parseWorkflow, convertWorkflowTemplate, NoOperationTraceWriter } = await import(
  "@actions/workflow-parser"
);

let failed = false;
for (const path of process.argv.slice(2)) {
  const file = { name: basename(path), content: readFileSync(path, "utf8") };
  const result = parseWorkflow(file, new NoOperationTraceWriter());
  const errors = [...result.context.errors.getErrors()];
  if (result.value) {
    const template = await convertWorkflowTemplate(result.context, result.value);
    errors.push(...(template.errors || []));
  }
  for (const message of new Set(errors.map((e) => e.message || JSON.stringify(e)))) {
    console.log(`${path}: ${message}`);
    failed = true;
  }
}
process.exit(failed ? 1 : 0);
