// The items the TypeScript side publishes: every topic of the orders schema, checked by tsc
// against the generated payload types, with values JSON tends to get wrong.
import type { TopicName, TopicPayloads } from "../../../generated/ts/orders/topics.js";

/** One publish: a topic and a payload of that topic's type. */
export type Entry = { [N in TopicName]: { topic: N; data: TopicPayloads[N] } }[TopicName];

export const ITEMS: Entry[] = [
  { topic: "order.status", data: { order_id: "o-1", state: "created" } },
  { topic: "progress", data: 0 },
  { topic: "order.status", data: { order_id: "o-1", state: "paid", total: { amount: 12999, currency: "EUR" } } },
  { topic: "tokens", data: "quote \" backslash \\ newline \n tab \t" },
  { topic: "progress", data: 55 },
  { topic: "tokens", data: "unicode: żółć 漢字 🚀 \u2028 \u0000 end" },
  { topic: "order.status", data: { order_id: "ö/🚚 \"x\"", state: "shipped", total: { amount: 0, currency: "JPY" } } },
  { topic: "tokens", data: "" },
  { topic: "progress", data: 100 },
];
