// A TypeScript worker running workflows.ts on a task queue until SIGTERM. Once connected, it
// prints one JSON line {ready: true, items: ITEMS}. Arguments: <task queue>.
import { DefaultLogger, NativeConnection, Runtime, Worker, bundleWorkflowCode } from "@temporalio/worker";
import { ITEMS } from "./fixtures";

async function main(): Promise<void> {
  const [address, namespace, taskQueue] = process.argv.slice(2);
  // Warnings only, and never on stdout: stdout carries the ready line.
  const logger = new DefaultLogger("WARN", (entry) => console.error(entry.level, entry.message, entry.meta ?? ""));
  Runtime.install({ logger });
  const workflowBundle = await bundleWorkflowCode({ workflowsPath: require.resolve("./workflows"), logger });
  const connection = await NativeConnection.connect({ address });
  const worker = await Worker.create({ connection, namespace, taskQueue, workflowBundle });
  // Workflow tasks wait on the task queue until run() polls, so ready can come first.
  console.log(JSON.stringify({ ready: true, items: ITEMS }));
  await worker.run(); // returns once SIGTERM (a default shutdown signal) has drained it
  await connection.close();
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
