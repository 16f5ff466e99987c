// Correct use of the generated orders package: tsc --strict must accept all of it.
import { Client } from "@temporalio/client";
import { WorkflowStreamClient } from "@temporalio/workflow-streams/client";
import { WorkflowStream } from "@temporalio/workflow-streams/workflow";

import { topic, topics } from "../generated/orders/client.js";
import type { Status, TopicName, TopicPayloads } from "../generated/orders/index.js";
import { TOPIC_NAMES, isTopicName } from "../generated/orders/index.js";
import { followStream } from "../generated/orders/sse.js";
import { workflowTopic, workflowTopics } from "../generated/orders/workflow.js";

export async function client(temporal: Client): Promise<number> {
  const stream = WorkflowStreamClient.create(temporal, "order-1");
  const handles = topics(stream);
  const status: Status = { order_id: "o1", state: "paid", total: { amount: 5, currency: "EUR" } };
  handles.status.publish(status, { forceFlush: true });
  handles.progress.publish(40);
  topic(stream, "order.status").publish({ order_id: "o2", state: "created" });
  let total = 0;
  for await (const item of handles.status.subscribe(0)) {
    const state: "created" | "paid" | "shipped" = item.data.state;
    total += item.offset + state.length + (item.data.total?.amount ?? 0);
  }
  for await (const item of topic(stream, "progress").subscribe()) {
    total += item.data;
  }
  return total;
}

export function workflow(stream: WorkflowStream): void {
  workflowTopics(stream).progress.publish(100);
  workflowTopic(stream, "order.status").publish({ order_id: "o1", state: "shipped" });
}

export function browser(): () => void {
  const followed = followStream(
    "/orders/stream",
    {
      "order.status": (data, offset) => console.log(data.order_id, data.state, offset),
      progress: (percent) => console.log(percent.toFixed(0)),
    },
    { onEnd: (end) => console.log(end), onError: (message) => console.error(message) },
  );
  const last: number | undefined = followed.lastOffset();
  console.log(last);
  return () => followed.close();
}

export function names(given: string): TopicName | undefined {
  const progress: TopicPayloads["progress"] = 3;
  console.log(progress, TOPIC_NAMES.length);
  return isTopicName(given) ? given : undefined;
}
