// Stand-in for generated/ts/orders until wstream-gen --lang typescript lands.
import type { WorkflowStreamClient, WorkflowStreamItem } from "@temporalio/workflow-streams/client";
export interface Money { amount: number; currency: string }
export interface Status { order_id: string; state: "created" | "paid" | "shipped"; total?: Money }
export interface TopicPayloads { "order.status": Status; progress: number; tokens: string }
export type TopicName = keyof TopicPayloads;
export const TOPIC_NAMES: readonly TopicName[] = ["order.status", "progress", "tokens"];
export function topic<N extends TopicName>(client: WorkflowStreamClient, name: N) {
  const handle = client.topic<TopicPayloads[N]>(name);
  return {
    publish: (value: TopicPayloads[N], options?: { forceFlush?: boolean }) => handle.publish(value, options),
    subscribe: (fromOffset?: number): AsyncGenerator<WorkflowStreamItem<TopicPayloads[N]>> => handle.subscribe(fromOffset),
  };
}
