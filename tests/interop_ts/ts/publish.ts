// Publishes ITEMS to a workflow's stream through the generated typed topic handles, then
// prints each item it sent as one JSON line. Arguments: <workflow id>.
import { WorkflowStreamClient } from "@temporalio/workflow-streams/client";
import { topics } from "../../../generated/ts/orders/client.js";
import { connect, runMain } from "./connect";
import { ITEMS } from "./fixtures";

runMain(async () => {
  const { client, args } = await connect();
  const stream = WorkflowStreamClient.create(client, args[0]);
  const handles = topics(stream);
  for (const item of ITEMS) {
    // The switch narrows `item.data` to the payload type the topic's handle takes.
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
  await stream[Symbol.asyncDispose]();
  for (const item of ITEMS) console.log(JSON.stringify(item));
});
