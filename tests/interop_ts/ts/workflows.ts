// A workflow hosting the orders stream with the TypeScript SDK's own WorkflowStream: it
// publishes ITEMS from workflow code through the generated workflow wrappers, takes
// publishes from clients, and ends on the `finish` signal.
import { condition, defineSignal, setHandler } from "@temporalio/workflow";
import { WorkflowStream } from "@temporalio/workflow-streams/workflow";
import { workflowTopics } from "../../../generated/ts/orders/workflow.js";
import { ITEMS } from "./fixtures";

export const finish = defineSignal("finish");

/** Host the stream until `finish`; return how many items the workflow published itself. */
export async function ordersHost(): Promise<number> {
  const stream = new WorkflowStream();
  const handles = workflowTopics(stream);
  let finished = false;
  setHandler(finish, () => {
    finished = true;
  });
  for (const item of ITEMS) {
    switch (item.topic) {
      case "order.status":
        handles.status.publish(item.data);
        break;
      case "progress":
        handles.progress.publish(item.data);
        break;
      case "tokens":
        handles.tokens.publish(item.data);
        break;
    }
  }
  await condition(() => finished);
  return ITEMS.length;
}
