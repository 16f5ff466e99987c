// Wrong use of the generated orders package: tsc must fail on exactly the lines marked
// `// error TSnnnn` (tests/generator/test_typescript.py reads the marks).
import { WorkflowStreamClient } from "@temporalio/workflow-streams/client";
import { WorkflowStream } from "@temporalio/workflow-streams/workflow";

import { topic, topics } from "../generated/orders/client.js";
import { followStream } from "../generated/orders/sse.js";
import { workflowTopic, workflowTopics } from "../generated/orders/workflow.js";

export function client(stream: WorkflowStreamClient): void {
  const handles = topics(stream);
  handles.progress.publish("forty"); // error TS2345
  handles.status.publish({ order_id: "o1", state: "lost" }); // error TS2322
  handles.status.publish({ order_id: "o1" }); // error TS2345
  handles.status.publish({ order_id: "o1", state: "paid", extra: 1 }); // error TS2353
  topic(stream, "order.state"); // error TS2345
  topic(stream, "progress").publish({ percent: 3 }); // error TS2345
  handles.orders.publish(1); // error TS2339
}

export function workflow(stream: WorkflowStream): void {
  workflowTopic(stream, "nope"); // error TS2345
  workflowTopics(stream).tokens.publish(3); // error TS2345
}

export function browser(): void {
  followStream("/orders/stream", {
    progress: (percent: string) => console.log(percent), // error TS2322
    "order.status": (data) => console.log(data.total.amount), // error TS18049
  });
  followStream("/orders/stream", { unknown: () => undefined }); // error TS2353
}
