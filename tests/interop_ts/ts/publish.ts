// Publishes ITEMS to a workflow's stream through the typed topic handles, then prints each
// item it sent as one JSON line. Arguments: <workflow id>.
import { WorkflowStreamClient } from "@temporalio/workflow-streams/client";
import { topic } from "./contract";
import { connect, runMain } from "./connect";
import { ITEMS } from "./fixtures";

runMain(async () => {
  const { client, args } = await connect();
  const stream = WorkflowStreamClient.create(client, args[0]);
  for (const item of ITEMS) {
    // The switch narrows `item.data` to the topic's payload type for the typed handle.
    switch (item.topic) {
      case "order.status":
        topic(stream, item.topic).publish(item.data);
        break;
      case "progress":
        topic(stream, item.topic).publish(item.data);
        break;
      case "tokens":
        topic(stream, item.topic).publish(item.data);
        break;
    }
  }
  await stream[Symbol.asyncDispose]();
  for (const item of ITEMS) console.log(JSON.stringify(item));
});
