// The MCP Apps side of a rift view (extension io.modelcontextprotocol/ui, specification 2026-01-26): JSON-RPC
// 2.0 over postMessage with the host. The view sends ui/initialize, then ui/notifications/initialized; the host
// sends the tool's arguments (ui/notifications/tool-input) and result (ui/notifications/tool-result); the view
// calls rift's tools through the host (tools/call) and reports its size (ui/notifications/size-changed).
"use strict";

const bridge = (() => {
  let nextId = 1;
  const pending = new Map();
  const handlers = {};
  window.addEventListener("message", (event) => {
    if (event.source !== window.parent) return;
    const message = event.data;
    if (!message || message.jsonrpc !== "2.0") return;
    if (message.id !== undefined && pending.has(message.id) && !message.method) {
      const { resolve, reject } = pending.get(message.id);
      pending.delete(message.id);
      if (message.error) reject(new Error(message.error.message || "error"));
      else resolve(message.result);
    } else if (message.method && handlers[message.method]) {
      const answer = handlers[message.method](message.params || {});
      if (message.id !== undefined) window.parent.postMessage({ jsonrpc: "2.0", id: message.id, result: answer || {} }, "*");
    } else if (message.method && message.id !== undefined) {
      window.parent.postMessage({ jsonrpc: "2.0", id: message.id, error: { code: -32601, message: `rift's view does not handle ${message.method}` } }, "*");
    }
  });
  const request = (method, params) => new Promise((resolve, reject) => {
    const id = nextId++;
    pending.set(id, { resolve, reject });
    window.parent.postMessage({ jsonrpc: "2.0", id, method, params }, "*");
  });
  const notify = (method, params) => window.parent.postMessage({ jsonrpc: "2.0", method, params }, "*");
  const on = (method, handler) => { handlers[method] = handler; };
  on("ui/resource-teardown", () => ({}));
  async function start() {
    await request("ui/initialize", {
      protocolVersion: "2026-01-26",
      appInfo: { name: "rift", version: "{{version}}" },
      appCapabilities: { availableDisplayModes: ["inline"] },
    });
    notify("ui/notifications/initialized", {});
    let last = "";
    new ResizeObserver(() => {
      const size = { width: document.documentElement.scrollWidth, height: document.documentElement.scrollHeight };
      const key = `${size.width}x${size.height}`;
      if (key !== last) { last = key; notify("ui/notifications/size-changed", size); }
    }).observe(document.body);
  }
  const callTool = (name, args) => request("tools/call", { name, arguments: args });
  return { on, start, callTool };
})();
