// Invokes the esbuild bundle's handler the way the Lambda runtime does: a
// fresh Node process imports dist/handler.mjs and calls handler(event,
// context). Logs go to stdout as the function's would; the result (or the
// error) is written as JSON to the file named by the second argument.
//
// Usage: node test/env/invoke-bundle.ts '<event json>' <result file>
import { writeFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import path from 'node:path';

const [eventText = '{}', resultFile] = process.argv.slice(2);
if (!resultFile) {
  process.stderr.write('usage: invoke-bundle.ts <event json> <result file>\n');
  process.exit(2);
}
const bundle = pathToFileURL(path.resolve('dist/handler.mjs')).href;
const { handler } = (await import(bundle)) as {
  handler: (e: unknown, c: unknown) => Promise<unknown>;
};
const context = {
  functionName: 'prs-manager-local',
  awsRequestId: 'local-invocation',
  getRemainingTimeInMillis: () => 300000,
};
try {
  const result = await handler(JSON.parse(eventText), context);
  await writeFile(resultFile, JSON.stringify({ ok: true, result }));
} catch (error) {
  const e = error as Error & { report?: unknown };
  await writeFile(
    resultFile,
    JSON.stringify({ ok: false, errorType: e.name, errorMessage: e.message, report: e.report }),
  );
}
