// The inspector page: wires the drop zone, pickers and URL form to the worker, and renders what
// it sends back. The page never reads model bytes itself; the worker does (worker.ts).

import type { GraphNodeDetail, OpenedModel, Reply, Request, TensorStats } from "./protocol.ts";
import { blobSink, openSink, type Sink } from "./download.ts";
import { fromDataTransfer, fromFileList } from "./files.ts";
import { npyName, safetensorsName } from "./names.ts";
import { bytes, clear, count, h, shortCount } from "./views/dom.ts";
import { renderFindings } from "./views/findings.ts";
import { renderGraph } from "./views/graph.ts";
import { GraphPanel } from "./views/graph-view.ts";
import { renderNodeDetail } from "./views/node-panel.ts";
import { TensorTable } from "./views/table.ts";
import { renderStats, renderTensorHeader } from "./views/tensor-panel.ts";
import { renderTree } from "./views/tree.ts";

const BINS = 64;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const content = $<HTMLElement>("content");
const status = $<HTMLElement>("status");
const statusText = $<HTMLElement>("status-text");
const bar = $<HTMLProgressElement>("status-bar");
const drop = $<HTMLElement>("drop");

// The single-file build (inspector.html, opened from disk) carries the worker's code in the page:
// a file:// page may not load worker.js, but it may start a worker from a Blob.
const inlineWorker = (globalThis as { OMNIMODEL_WORKER_SOURCE?: string }).OMNIMODEL_WORKER_SOURCE;
const worker = inlineWorker
  ? new Worker(URL.createObjectURL(new Blob([inlineWorker], { type: "text/javascript" })))
  : new Worker("worker.js");
let nextId = 1;
let openId = 0;
let statsId = 0;
let model: OpenedModel | null = null;
let table: TensorTable | null = null;
let panel: HTMLElement | null = null;
let graphPanel: GraphPanel | null = null;
let graphId = 0;
let nodeId = 0;
let searchId = 0;

interface ExportState {
  sink: Sink;
  chain: Promise<void>;
  name: string;
  failed: boolean;
  skipped: string[];
}
const exportsInFlight = new Map<number, ExportState>();

function send(r: Request): void {
  worker.postMessage(r);
}

function setStatus(text: string, done?: number, total?: number): void {
  statusText.textContent = text;
  status.hidden = false;
  if (done === undefined || !total) bar.removeAttribute("value");
  else {
    bar.max = total;
    bar.value = done;
  }
}

function idle(text = ""): void {
  statusText.textContent = text;
  bar.max = 1;
  bar.value = 1;
  status.hidden = !text;
}

// ---- opening ----

function openFiles(files: ReturnType<typeof fromFileList>): void {
  if (!files.length) return;
  openId = nextId++;
  statsId = 0;
  setStatus(files.length === 1 ? `Opening ${files[0].path}…` : `Opening ${files.length} files…`);
  send({ type: "open-files", id: openId, files });
}

function openUrl(url: string): void {
  try {
    url = new URL(url, location.href).href; // relative to the page (the worker may live at a blob: URL)
  } catch {
    return showOpenError("BAD_ARGUMENT", `"${url}" is not a URL`);
  }
  openId = nextId++;
  statsId = 0;
  setStatus(`Opening ${url}…`);
  send({ type: "open-url", id: openId, url });
}

function showOpenError(code: string, message: string): void {
  idle();
  model = null;
  clear(content);
  content.appendChild(h("section", { class: "card error", role: "alert" },
    h("h2", {}, "This file could not be opened"),
    h("p", {}, h("span", { class: "code" }, code), " ", message),
  ));
}

// ---- rendering a model ----

function section(title: string, id: string, ...body: (Node | null)[]): HTMLElement {
  return h("section", { class: "card", id, "aria-labelledby": `${id}-h` }, h("h2", { id: `${id}-h` }, title), ...body);
}

function renderModel(m: OpenedModel): void {
  model = m;
  clear(content);
  const ix = m.index;
  const params = m.tensors.reduce((a, t) => a + t.parameters, 0);
  const data = m.tensors.reduce((a, t) => a + t.byteLength, 0);
  const exportBtn = h("button", { type: "button", id: "export-safetensors", onclick: () => exportSafetensors() }, "Export as safetensors");
  content.appendChild(h("section", { class: "card summary", id: "summary" },
    h("h2", { class: "mono", title: m.source }, m.source.split("/").pop() || m.source),
    h("dl", { class: "facts" },
      h("dt", {}, "format"), h("dd", { id: "format" }, ix.format),
      h("dt", {}, "version"), h("dd", { id: "format-version" }, ix.formatVersion ?? "—"),
      h("dt", {}, "file size"), h("dd", {}, bytes(m.size) + (m.files > 1 ? ` (entry of ${m.files} files)` : "")),
      h("dt", {}, "tensors"), h("dd", {}, count(m.tensors.length)),
      h("dt", {}, "parameters"), h("dd", {}, `${count(params)} (${shortCount(params)})`),
      h("dt", {}, "tensor data"), h("dd", {}, bytes(data)),
      h("dt", {}, "indexed in"), h("dd", {}, `${m.millis.toFixed(0)} ms`),
    ),
    m.tensors.length ? exportBtn : null,
  ));
  content.appendChild(section(`Findings (${ix.findings.length})`, "findings", renderFindings(ix.findings)));

  panel = h("aside", { class: "card tensor-panel", id: "tensor-panel", "aria-live": "polite" }, h("p", { class: "muted" }, "Select a tensor to see its statistics, histogram and first values."));
  table = new TensorTable(m.tensors, (i) => selectTensor(i));
  graphPanel = new GraphPanel({
    select: selectNode,
    toggle: (i) => requestGraph(i),
    search: (q) => {
      searchId = nextId++;
      send({ type: "graph-search", id: searchId, query: q });
    },
  });
  const summaryBox = renderGraph(ix.graph);
  const main = h("div", { class: "main-col" },
    section("Graph", "graph", graphPanel.element, summaryBox),
    section("Tensors", "tensors", table.element));
  main.appendChild(section("Metadata", "metadata", renderTree(ix.metadata, "metadata")));
  if (ix.children?.length) {
    main.appendChild(section(`Contained models (${ix.children.length})`, "children",
      h("ul", {}, ...ix.children.map((c) => h("li", { class: "mono" }, `${c.name}  ${c.format ?? "?"}  ${bytes(c.size)}`)))));
  }
  content.appendChild(h("div", { class: "columns" }, main, panel));
  idle(`Opened ${m.source} in ${m.millis.toFixed(0)} ms.`);
  requestGraph();
}

function requestGraph(toggle?: number): void {
  graphId = nextId++;
  send({ type: "graph", id: graphId, toggle });
}

function selectNode(i: number): void {
  nodeId = nextId++;
  send({ type: "graph-node", id: nodeId, node: i });
}

function showNode(d: GraphNodeDetail): void {
  if (!panel) return;
  if (statsId) send({ type: "cancel", id: statsId });
  statsId = 0;
  clear(panel);
  panel.appendChild(renderNodeDetail(d, {
    weight: (t) => selectTensor(t, true),
    jump: (n) => graphPanel?.jump(n),
    toggle: (n) => requestGraph(n),
  }));
  panel.appendChild(h("div", { class: "tensor-slot" }));
}

/** Shows a tensor in the panel; below the selected node's details when it is one of its weights. */
function selectTensor(i: number, underNode = false): void {
  if (!model || !panel) return;
  if (statsId) send({ type: "cancel", id: statsId });
  table?.select(i);
  const row = model.tensors[i];
  let box: Element = panel;
  const nodeSlot = underNode ? panel.querySelector(".tensor-slot") : null;
  if (nodeSlot) box = nodeSlot;
  clear(box);
  box.appendChild(renderTensorHeader(row, () => exportNpy(i)));
  const slot = h("div", { class: "stats-slot" }, h("p", { class: "muted" }, "Computing statistics…"));
  box.appendChild(slot);
  statsId = nextId++;
  send({ type: "stats", id: statsId, tensor: i, bins: BINS });
}

function showStats(s: TensorStats): void {
  const slot = panel?.querySelector(".stats-slot");
  if (!slot) return;
  clear(slot);
  slot.appendChild(renderStats(s));
  idle();
}

// ---- exports ----

async function startExport(name: string, request: (id: number) => Request): Promise<void> {
  // the save dialog needs the click's user activation: ask for it before anything else
  const sink = await openSink(name);
  if (!sink) return;
  const id = nextId++;
  exportsInFlight.set(id, { sink, chain: Promise.resolve(), name, failed: false, skipped: [] });
  setStatus(`Exporting ${name}…`, 0, 1);
  send(request(id));
}

function exportSafetensors(): void {
  if (!model) return;
  void startExport(safetensorsName(model.source, model.index.format), (id) => ({ type: "export-safetensors", id }));
}

function exportNpy(i: number): void {
  if (!model) return;
  void startExport(npyName(model.tensors[i].name), (id) => ({ type: "export-npy", id, tensor: i }));
}

function onExportReply(r: Reply & { id: number }, x: ExportState): void {
  if (r.type === "export-start") {
    if ("rename" in x.sink) (x.sink as ReturnType<typeof blobSink>).rename(r.name);
    x.name = r.name;
    x.skipped = r.skipped;
  } else if (r.type === "chunk") {
    x.chain = x.chain.then(async () => {
      if (x.failed) return;
      await x.sink.write(r.bytes);
      send({ type: "ack", id: r.id });
    }).catch((e) => {
      x.failed = true;
      send({ type: "cancel", id: r.id });
      setStatus(`Export failed: ${(e as Error).message}`);
    });
  } else if (r.type === "progress") {
    setStatus(`Exporting ${x.name}: ${bytes(r.done)} of ${bytes(r.total)}`, r.done, r.total);
  } else if (r.type === "export-done") {
    x.chain = x.chain.then(async () => {
      exportsInFlight.delete(r.id);
      if (x.failed) return;
      await x.sink.close();
      const notes = x.skipped.length ? ` Not written as stored: ${x.skipped.join("; ")}.` : "";
      idle(`Exported ${x.name} (${bytes(r.bytes)}).${notes}`);
      document.body.setAttribute("data-last-export", x.name);
    });
  } else if (r.type === "error") {
    exportsInFlight.delete(r.id);
    x.failed = true;
    void x.sink.abort();
    if (r.code === "CANCELLED") idle(`Export of ${x.name} cancelled.`);
    else setStatus(`Export failed: ${r.message}`);
  }
}

// ---- replies ----

worker.onmessage = (e: MessageEvent) => {
  const r = e.data as Reply;
  if (r.type === "ready") {
    $("engine").textContent = `core ready${r.simd ? " (SIMD128)" : ""}`;
    return;
  }
  const x = exportsInFlight.get(r.id);
  if (x) return onExportReply(r, x);
  switch (r.type) {
    case "opened":
      // marks for the page's timeline (devtools, and the graph benchmark's breakdown)
      performance.mark("omnimodel:opened");
      if (r.id === openId) renderModel(r.model);
      performance.mark("omnimodel:rendered-summary");
      return;
    case "progress":
      if (r.id === openId || r.id === statsId) setStatus(`${r.label}: ${Math.round((r.done / Math.max(1, r.total)) * 100)}%`, r.done, r.total);
      return;
    case "stats":
      if (r.id === statsId) showStats(r.stats);
      return;
    case "graph":
      performance.mark("omnimodel:graph-received");
      // a large graph's first view comes with the open, before the page asks
      if (r.id === graphId || (r.id === openId && r.view.partial)) graphPanel?.show(r.view);
      return;
    case "graph-node":
      if (r.id === nodeId) showNode(r.detail);
      return;
    case "graph-search":
      if (r.id === searchId) graphPanel?.showHits(r.query, r.hits);
      return;
    case "error":
      if (r.id === openId || r.id === 0) showOpenError(r.code, r.message);
      else if (r.id === graphId) graphPanel?.failed(`${r.code}: ${r.message}`);
      else if (r.id === statsId) {
        const slot = panel?.querySelector(".stats-slot");
        if (slot) {
          clear(slot);
          if (r.code === "CANCELLED") slot.appendChild(h("p", { class: "muted" }, "Cancelled. Select the tensor again to compute its statistics."));
          else slot.appendChild(h("p", { class: "error-text", role: "alert" }, `${r.code}: ${r.message}`));
        }
        idle();
      }
      return;
  }
};
worker.onerror = (e) => showOpenError("WORKER", e.message || "the worker failed to start");

// ---- input ----

const fileInput = $<HTMLInputElement>("file-input");
const folderInput = $<HTMLInputElement>("folder-input");
fileInput.addEventListener("change", () => {
  openFiles(fromFileList(fileInput.files));
  fileInput.value = "";
});
folderInput.addEventListener("change", () => {
  openFiles(fromFileList(folderInput.files));
  folderInput.value = "";
});
$("open-file").addEventListener("click", () => fileInput.click());
$("open-folder").addEventListener("click", () => folderInput.click());
$<HTMLFormElement>("url-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const v = $<HTMLInputElement>("url").value.trim();
  if (v) openUrl(v);
});

let dragDepth = 0;
window.addEventListener("dragenter", (e) => {
  e.preventDefault();
  dragDepth++;
  drop.classList.add("active");
});
window.addEventListener("dragleave", () => {
  if (--dragDepth <= 0) {
    dragDepth = 0;
    drop.classList.remove("active");
  }
});
window.addEventListener("dragover", (e) => e.preventDefault());
window.addEventListener("drop", async (e) => {
  e.preventDefault();
  dragDepth = 0;
  drop.classList.remove("active");
  if (e.dataTransfer) openFiles(await fromDataTransfer(e.dataTransfer));
});

window.addEventListener("keydown", (e) => {
  const typing = (e.target as HTMLElement)?.matches?.("input, textarea, select");
  if ((e.ctrlKey || e.metaKey) && e.key === "o") {
    e.preventDefault();
    fileInput.click();
  } else if (e.key === "/" && !typing) {
    const f = document.querySelector<HTMLInputElement>("input.filter");
    if (f) {
      e.preventDefault();
      f.focus();
    }
  } else if (e.key === "Escape") {
    if (statsId) send({ type: "cancel", id: statsId });
    for (const [id, x] of exportsInFlight) {
      send({ type: "cancel", id });
      x.failed = true;
      void x.sink.abort();
    }
    exportsInFlight.clear();
    idle();
  }
});

// ?url=... opens a model served over HTTP (what `omnimodel serve FILE` does).
const initial = new URLSearchParams(location.search).get("url");
if (initial) openUrl(initial);
