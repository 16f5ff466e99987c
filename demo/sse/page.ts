// The demo page's script: follows a workflow's orders stream through the generated browser
// helper, one typed callback per topic. Compiled with it by browser_js.py.
import { followStream } from "../../generated/ts/orders/sse.js";
import type { FollowedStream, TopicHandlers } from "../../generated/ts/orders/sse.js";
import type { Status } from "../../generated/ts/orders/models.js";

const element = (id: string): HTMLElement => document.getElementById(id)!;
const setStatus = (text: string): void => {
  element("status").textContent = text;
};
let followed: FollowedStream | null = null;

/** Append one item's row; `data-json` keeps the exact payload the handler was given. */
function row(topic: string, offset: number, data: unknown, text: string): void {
  const item = document.createElement("li");
  item.value = offset;
  item.className = topic.replace(".", "-");
  item.dataset.topic = topic;
  item.dataset.offset = String(offset);
  item.dataset.json = JSON.stringify(data);
  item.textContent = text;
  element("events").append(item);
}

function describe(status: Status): string {
  const total = status.total ? ` (${(status.total.amount / 100).toFixed(2)} ${status.total.currency})` : "";
  return `order ${status.order_id}: ${status.state}${total}`;
}

// Each callback gets its topic's payload type: a Status object, a number, a string.
const ALL: TopicHandlers = {
  "order.status": (status, offset) => row("order.status", offset, status, describe(status)),
  progress: (percent, offset) => row("progress", offset, percent, `progress: ${percent}%`),
  tokens: (line, offset) => row("tokens", offset, line, `log: ${line}`),
};

function follow(): void {
  const workflowId = (element("workflow") as HTMLInputElement).value.trim();
  if (!workflowId) return;
  const checked = [...document.querySelectorAll<HTMLInputElement>("input[name=topic]:checked")];
  const topics = checked.map((box) => box.value as keyof TopicHandlers);
  followed?.close();
  element("events").replaceChildren();
  const handlers: TopicHandlers = {};
  for (const topic of topics) Object.assign(handlers, { [topic]: ALL[topic] });
  const query = topics.map((topic) => "topic=" + encodeURIComponent(topic)).join("&");
  setStatus("following");
  // After a dropped connection the browser resumes by itself after the last offset.
  followed = followStream(`/streams/${encodeURIComponent(workflowId)}?${query}`, handlers, {
    onEnd: (endOffset) => setStatus(`ended (end offset ${endOffset})`),
    onError: (message) => setStatus(`failed: ${message}`),
  });
}

element("follow").onclick = follow;
for (const box of document.querySelectorAll<HTMLInputElement>("input[name=topic]")) box.onchange = follow;
element("start").onclick = async () => {
  const response = await fetch("/workflows", { method: "POST" });
  (element("workflow") as HTMLInputElement).value = ((await response.json()) as { workflow_id: string }).workflow_id;
  follow();
};
