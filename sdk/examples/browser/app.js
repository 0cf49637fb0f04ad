// The SDK in a page: track() batches page views, send() awaits a purchase's receipt.
// eventflow-sdk.js is sdk/src bundled by the local runtime (esbuild, on request).
import { EventFlow } from "./eventflow-sdk.js";

const $ = (id) => document.getElementById(id);
const log = (line) => {
  $("log").textContent = `${line}\n${$("log").textContent}`;
};

// A page served by the local runtime on localhost gets its development key; a real page
// would use a key with only the events:write scope, created for it.
const answer = await fetch("/_local/dev-key", { headers: { accept: "application/json" } });
const { key } = await answer.json();

const events = new EventFlow({
  url: location.origin,
  apiKey: key,
  source: "browser-example",
  flushIntervalMs: 500,
  onError: (error) => log(`${error.kind}: ${error.message}`),
});
window.eventflow = { EventFlow, events, key };

$("track").addEventListener("click", () => {
  events.track({ type: "page_view", data: { url: location.pathname } });
  log("page_view tracked (sent within 0.5 s)");
});
$("send").addEventListener("click", async () => {
  const receipt = await events.send({
    type: "purchase",
    data: { amount: Number($("amount").value), currency: "EUR" },
  });
  log(`purchase ${receipt.status}: ${receipt.id}`);
});
// Whatever is still queued goes out when the page is hidden or closed.
addEventListener("pagehide", () => void events.flush());

$("track").disabled = false;
$("send").disabled = false;
$("state").textContent = "ready";
