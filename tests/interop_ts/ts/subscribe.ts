// Reads a workflow's stream through the generated typed handle of each topic and prints every
// item as a JSON line {topic, offset, data}. Arguments: <workflow id> <JSON {topic: count}>.
import { WorkflowStreamClient } from "@temporalio/workflow-streams/client";
import { topic } from "../../../generated/ts/orders/client.js";
import { TOPIC_NAMES } from "../../../generated/ts/orders/topics.js";
import { connect, runMain } from "./connect";

runMain(async () => {
  const { client, args } = await connect();
  const counts = JSON.parse(args[1]) as Record<string, number>;
  const stream = WorkflowStreamClient.create(client, args[0]);
  await Promise.all(
    TOPIC_NAMES.map(async (name) => {
      let left = counts[name] ?? 0;
      if (left === 0) return;
      for await (const item of topic(stream, name).subscribe(0)) {
        console.log(JSON.stringify({ topic: item.topic, offset: item.offset, data: item.data }));
        if (--left === 0) break;
      }
    }),
  );
});
