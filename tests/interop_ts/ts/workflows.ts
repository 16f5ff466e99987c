// A workflow hosting the orders stream with the TypeScript SDK's own WorkflowStream: it
// publishes ITEMS from workflow code, takes publishes from clients, and ends on `finish`.
import { condition, defineSignal, setHandler } from "@temporalio/workflow";
import { WorkflowStream } from "@temporalio/workflow-streams/workflow";
import { ITEMS } from "./fixtures";

export const finish = defineSignal("finish");

/** Host the stream until `finish`; return how many items the workflow published itself. */
export async function ordersHost(): Promise<number> {
  const stream = new WorkflowStream();
  let finished = false;
  setHandler(finish, () => {
    finished = true;
  });
  for (const item of ITEMS) stream.topic(item.topic).publish(item.data);
  await condition(() => finished);
  return ITEMS.length;
}
