/**
 * EventFlow local console. It counts nothing itself: the charts and totals are the
 * runtime's aggregation of the EMF lines the functions print (/_local/metrics/series,
 * what CloudWatch would compute from the same lines), queue depths are SQS attributes
 * (/_local/status), and the tables and replay go through the public query API with the
 * caller's key. Plain ES module, no dependencies, nothing fetched from another origin.
 */

const METRIC = {
  received: "EventsReceived",
  rejected: "EventsRejected",
  enqueueFailed: "EnqueueFailed",
  processed: "EventsProcessed",
  failed: "EventsFailed",
  deadLettered: "EventsDeadLettered",
  duplicate: "EventsDuplicate",
  retried: "EventsRetried",
  processingLatency: "ProcessingLatency",
  endToEndLatency: "EndToEndLatency",
};

const COLOR = {
  received: "#2563eb",
  processed: "#16a34a",
  failed: "#dc2626",
  duplicate: "#d97706",
  queue: "#2563eb",
  inFlight: "#7c3aed",
  dlq: "#dc2626",
  p50: "#0891b2",
  p99: "#c026d3",
};

const STORAGE = {
  key: "eventflow.apiKey",
  keySource: "eventflow.apiKeySource",
  window: "eventflow.window",
};

const LIST_LIMIT = 20;
/** Query API ids: what GET /v1/events/{id} accepts. */
const EVENT_ID = /^[A-Za-z0-9._:-]{1,128}$/;

const $ = (selector) => {
  const element = document.querySelector(selector);
  if (!element) throw new Error(`console: no element ${selector}`);
  return element;
};
const numberFormat = new Intl.NumberFormat("en-US", { maximumFractionDigits: 1 });
const fmt = (n) =>
  n === null || n === undefined || Number.isNaN(n) ? "–" : numberFormat.format(n);
const fmtMs = (n) =>
  n === null || n === undefined ? "–" : n >= 10_000 ? `${fmt(n / 1000)} s` : `${fmt(n)} ms`;
/** "36 / 59 ms", or "1.2 / 3.4 s" when the larger is 10 s or more. */
const fmtPair = (a, b) =>
  b >= 10_000 ? `${fmt(a / 1000)} / ${fmt(b / 1000)} s` : `${fmt(a)} / ${fmt(b)} ms`;
const fmtTime = (iso) => (iso ? new Date(iso).toLocaleTimeString("en-GB", { hour12: false }) : "–");

/** Creates an element with attributes and children (strings become text nodes). */
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "class") node.className = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

// ---------------------------------------------------------------- API key

const key = {
  value: localStorage.getItem(STORAGE.key) ?? "",
  /** "dev": offered by the local runtime; "user": typed in. */
  source: localStorage.getItem(STORAGE.keySource) ?? "",
  /** The API asked for a key we do not have (or refused ours). */
  refused: false,
};

function setKey(value, source) {
  key.value = value;
  key.source = value ? source : "";
  key.refused = false;
  if (value) {
    localStorage.setItem(STORAGE.key, value);
    localStorage.setItem(STORAGE.keySource, source);
  } else {
    localStorage.removeItem(STORAGE.key);
    localStorage.removeItem(STORAGE.keySource);
  }
  renderKey();
}

function renderKey() {
  const input = $("#api-key");
  if (document.activeElement !== input) input.value = key.value;
  $("#key-state").textContent = key.refused
    ? "the API refused this key"
    : key.source === "dev"
      ? "local dev key"
      : key.value
        ? "saved"
        : "";
  $("#key-state").className = key.refused ? "bad" : "muted";
}

/** The local runtime's dev key, where it offers one (GET /_local/dev-key). */
async function offerDevKey() {
  try {
    const res = await fetch("/_local/dev-key", {
      headers: { accept: "application/json" },
      cache: "no-store",
      signal: AbortSignal.timeout(5_000),
    });
    if (!res.ok) return false;
    const body = await res.json();
    const value = typeof body === "string" ? body : (body?.key ?? body?.apiKey ?? body?.token);
    if (typeof value !== "string" || value === "" || value === key.value) return false;
    setKey(value, "dev");
    return true;
  } catch {
    return false;
  }
}

/** The public API, with `Authorization: Bearer <key>` when there is a key. */
async function api(method, path, body, retried = false) {
  const headers = { accept: "application/json" };
  if (key.value) headers.authorization = `Bearer ${key.value}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(path, {
    method,
    headers,
    cache: "no-store",
    signal: AbortSignal.timeout(15_000),
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (res.status === 401 && !retried && key.source !== "user" && (await offerDevKey())) {
    return api(method, path, body, true);
  }
  const text = await res.text();
  let parsed = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = { message: text };
  }
  if (res.status === 401) {
    key.refused = true;
    renderKey();
  }
  return { status: res.status, body: parsed };
}

const problem = (answer) =>
  `${answer.status} ${answer.body?.error?.message ?? answer.body?.message ?? "error"}${
    answer.status === 401 ? ": enter an API key above" : ""
  }`;

// ---------------------------------------------------------------- polling

/** Runs `fn` now and every `ms` (slower in a hidden tab); `now()` runs it at once. */
function poller(fn, ms) {
  let running = false;
  let again = false;
  let timer;
  const run = async () => {
    clearTimeout(timer);
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      await fn();
    } catch (error) {
      console.warn("console: poll failed", error);
    } finally {
      running = false;
    }
    if (again) {
      again = false;
      void run();
      return;
    }
    timer = setTimeout(run, document.hidden ? Math.max(ms, 5_000) : ms);
  };
  return { start: run, now: run };
}

// ---------------------------------------------------------------- charts

const SVG = "http://www.w3.org/2000/svg";

function svgEl(tag, attrs = {}) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
  return node;
}

/** 1, 2, 2.5 or 5 times a power of ten, at least `value`. */
function niceCeil(value) {
  if (value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

/**
 * A line chart in the figure's SVG: `series` are { name, color, times (epoch ms),
 * values (null: no data), dots, note }, drawn over [from, to].
 */
function drawChart(figure, { from, to, series, format = fmt, floor = 1 }) {
  const svg = figure.querySelector("svg");
  const width = Math.max(200, svg.clientWidth || 400);
  const height = Math.max(100, svg.clientHeight || 160);
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.replaceChildren();
  const pad = { left: 48, right: 10, top: 10, bottom: 20 };
  const plotW = width - pad.left - pad.right;
  const plotH = height - pad.top - pad.bottom;
  let max = 0;
  for (const s of series) {
    for (let i = 0; i < s.values.length; i++) {
      const v = s.values[i];
      if (v !== null && s.times[i] >= from) max = Math.max(max, v);
    }
  }
  const top = niceCeil(Math.max(max, floor));
  const x = (t) => pad.left + ((t - from) / (to - from)) * plotW;
  const y = (v) => pad.top + plotH - (v / top) * plotH;

  for (const fraction of [0, 0.25, 0.5, 0.75, 1]) {
    const value = top * fraction;
    svg.append(
      svgEl("line", {
        x1: pad.left,
        x2: width - pad.right,
        y1: y(value),
        y2: y(value),
        class: fraction === 0 ? "axis" : "grid",
      }),
    );
    if (fraction % 0.5 === 0) {
      const label = svgEl("text", {
        x: pad.left - 6,
        y: y(value) + 4,
        class: "tick",
        "text-anchor": "end",
      });
      label.textContent = format(value);
      svg.append(label);
    }
  }
  const span = Math.round((to - from) / 1000);
  for (const [fraction, text] of [
    [0, `-${span >= 120 ? `${span / 60}m` : `${span}s`}`],
    [0.5, `-${span >= 120 ? `${span / 120}m` : `${span / 2}s`}`],
    [1, "now"],
  ]) {
    const label = svgEl("text", {
      x: pad.left + fraction * plotW,
      y: height - 4,
      class: "tick",
      "text-anchor": fraction === 0 ? "start" : fraction === 1 ? "end" : "middle",
    });
    label.textContent = text;
    svg.append(label);
  }

  for (const s of series) {
    let d = "";
    const points = [];
    for (let i = 0; i < s.values.length; i++) {
      const v = s.values[i];
      const t = s.times[i];
      if (v === null || t < from || t > to) continue;
      points.push([x(t), y(v)]);
    }
    for (const [i, [px, py]] of points.entries()) {
      d += `${i === 0 ? "M" : "L"}${px.toFixed(1)},${py.toFixed(1)}`;
    }
    if (d) {
      svg.append(
        svgEl("path", { d, fill: "none", stroke: s.color, "stroke-width": 1.8, class: "line" }),
      );
    }
    if (s.dots) {
      for (const [px, py] of points) {
        svg.append(svgEl("circle", { cx: px.toFixed(1), cy: py.toFixed(1), r: 2, fill: s.color }));
      }
    }
  }

  const legend = figure.querySelector(".legend");
  legend.replaceChildren(
    ...series.map((s) =>
      el(
        "span",
        { class: "key", "data-series": s.name },
        swatch(s.color),
        `${s.name} `,
        el("b", {}, s.note ?? format(lastValue(s.values))),
      ),
    ),
  );
}

/** A colour swatch; set through the CSSOM, which the page's CSP allows (style attributes it does not). */
function swatch(color) {
  const node = el("i");
  node.style.backgroundColor = color;
  return node;
}

function lastValue(values) {
  for (let i = values.length - 1; i >= 0; i--) if (values[i] !== null) return values[i];
  return null;
}

// ---------------------------------------------------------------- live figures

const state = {
  windowSeconds: Number(localStorage.getItem(STORAGE.window)) || 120,
  /** Queue depth samples from /_local/status: { t, queue, inFlight, dlq }. */
  depths: [],
  series: null,
};

const zeros = (n) => new Array(n).fill(0);

function tile(id, value, sub = "") {
  const node = $(`#tile-${id}`);
  node.querySelector(".value").textContent = value;
  node.querySelector(".sub").textContent = sub;
}

async function pollLive() {
  const names = Object.values(METRIC).join(",");
  const [seriesRes, statusRes] = await Promise.all([
    fetch(`/_local/metrics/series?seconds=${state.windowSeconds}&names=${names}`, {
      cache: "no-store",
      signal: AbortSignal.timeout(5_000),
    }).catch(() => null),
    fetch("/_local/status", { cache: "no-store", signal: AbortSignal.timeout(5_000) }).catch(
      () => null,
    ),
  ]);
  if (!seriesRes?.ok || !statusRes?.ok) {
    setConnection("bad", "runtime unreachable");
    return;
  }
  const series = await seriesRes.json();
  const status = await statusRes.json();
  setConnection(status.state === "running" ? "ok" : "warn", status.state);
  const q = status.queues?.queue ?? { visible: 0, inFlight: 0, delayed: 0 };
  const dlq = status.queues?.dlq ?? { visible: 0, inFlight: 0, delayed: 0 };
  const now = Date.now();
  state.depths.push({
    t: now,
    queue: q.visible + q.delayed,
    inFlight: q.inFlight,
    dlq: dlq.visible + dlq.inFlight + dlq.delayed,
  });
  while (state.depths.length > 0 && state.depths[0].t < now - 900_000) state.depths.shift();
  state.series = series;
  renderBanner(status);
  renderLive(series, status);
}

function setConnection(kind, text) {
  const pill = $("#conn");
  pill.className = `pill ${kind}`;
  pill.textContent = kind === "ok" ? "live" : text;
}

function renderBanner(status) {
  const f = status.faults ?? {};
  const active = [];
  if (f.poisonType) active.push(`poison type "${f.poisonType}"`);
  if (f.dynamodbThrottleRate > 0) active.push(`DynamoDB throttling ${f.dynamodbThrottleRate}`);
  if (f.dynamodbUnreachableSeconds > 0) {
    active.push(`DynamoDB unreachable ${f.dynamodbUnreachableSeconds} s more`);
  }
  if (f.crashAfterWriteRate > 0) active.push(`crash after write ${f.crashAfterWriteRate}`);
  const banner = $("#banner");
  banner.hidden = active.length === 0;
  banner.textContent = active.length ? `Fault injection active: ${active.join(", ")}` : "";
}

function renderLive(series, status) {
  const metric = (name) => series.metrics[name];
  const total = (name) => series.totals[name]?.sum ?? 0;
  const start = Date.parse(series.start);
  const to = Date.parse(series.end);
  const from = to - state.windowSeconds * 1000;
  const n = Math.round((to - start) / 1000);
  // The value of period i is drawn at the period's end.
  const times = Array.from({ length: n }, (_, i) => start + (i + 1) * 1000);
  const sums = (name) => metric(name)?.sum ?? zeros(n);
  const windowSum = (values) => values.reduce((a, b) => a + b, 0);

  tile(
    "received",
    fmt(total(METRIC.received)),
    `${fmt(total(METRIC.rejected))} rejected · ${fmt(total(METRIC.enqueueFailed))} not queued`,
  );
  tile("processed", fmt(total(METRIC.processed)), `${fmt(total(METRIC.retried))} retries`);
  // EventsFailed counts every event stored as failed; EventsDeadLettered is the part
  // that came through the DLQ (the rest failed a business rule).
  tile(
    "failed",
    fmt(total(METRIC.failed)),
    `${fmt(total(METRIC.failed) - total(METRIC.deadLettered))} business rule · ${fmt(total(METRIC.deadLettered))} dead-lettered`,
  );
  tile("duplicate", fmt(total(METRIC.duplicate)), "stored once only");
  const q = status.queues?.queue ?? { visible: 0, inFlight: 0, delayed: 0 };
  const d = status.queues?.dlq ?? { visible: 0, inFlight: 0, delayed: 0 };
  tile(
    "queue",
    fmt(q.visible + q.inFlight + q.delayed),
    `${fmt(q.inFlight)} in flight · ${fmt(q.delayed)} delayed`,
  );
  tile("dlq", fmt(d.visible + d.inFlight + d.delayed), `${fmt(d.inFlight)} in flight`);
  const latencyTile = (id, name) => {
    const w = metric(name)?.window;
    tile(
      id,
      w?.count ? `${fmtPair(w.p50, w.p99)}` : "–",
      w?.count ? `${fmt(w.count)} samples in the window` : "none in the window",
    );
  };
  latencyTile("processing", METRIC.processingLatency);
  latencyTile("e2e", METRIC.endToEndLatency);

  const received = sums(METRIC.received);
  const processed = sums(METRIC.processed);
  const failed = sums(METRIC.failed);
  const duplicate = sums(METRIC.duplicate);
  const rate = (name, values, color) => ({
    name,
    color,
    times,
    values,
    note: `${fmt(lastValue(values))}/s · ${fmt(windowSum(values))}`,
  });
  drawChart($("#chart-rate"), {
    from,
    to,
    floor: 5,
    series: [
      rate("received", received, COLOR.received),
      rate("processed", processed, COLOR.processed),
      rate("failed", failed, COLOR.failed),
      rate("duplicate", duplicate, COLOR.duplicate),
    ],
  });

  const depths = state.depths.filter((s) => s.t >= from - 1000);
  const depthTimes = depths.map((s) => Math.min(s.t, to));
  drawChart($("#chart-queues"), {
    from,
    to,
    floor: 5,
    series: [
      { name: "queue", color: COLOR.queue, times: depthTimes, values: depths.map((s) => s.queue) },
      {
        name: "in flight",
        color: COLOR.inFlight,
        times: depthTimes,
        values: depths.map((s) => s.inFlight),
      },
      { name: "DLQ", color: COLOR.dlq, times: depthTimes, values: depths.map((s) => s.dlq) },
    ],
  });

  const latency = (figure, name) => {
    const m = metric(name);
    drawChart($(figure), {
      from,
      to,
      floor: 10,
      format: fmt,
      series: [
        {
          name: "p50",
          color: COLOR.p50,
          times,
          values: m?.p50 ?? new Array(n).fill(null),
          dots: true,
          note: m?.window.count ? `${fmtMs(m.window.p50)} in the window` : "–",
        },
        {
          name: "p99",
          color: COLOR.p99,
          times,
          values: m?.p99 ?? new Array(n).fill(null),
          dots: true,
          note: m?.window.count ? `${fmtMs(m.window.p99)} in the window` : "–",
        },
      ],
    });
  };
  latency("#chart-processing", METRIC.processingLatency);
  latency("#chart-e2e", METRIC.endToEndLatency);
}

// ---------------------------------------------------------------- events table

const expanded = new Set();

async function pollEvents() {
  const type = $("#filter-type").value.trim();
  const status = $("#filter-status").value;
  const search = $("#search-id").value.trim();
  const params = new URLSearchParams({ limit: String(LIST_LIMIT) });
  if (type) params.set("type", type);
  if (status) params.set("status", status);
  const [list, exact] = await Promise.all([
    api("GET", `/v1/events?${params}`),
    search && EVENT_ID.test(search)
      ? api("GET", `/v1/events/${encodeURIComponent(search)}`)
      : Promise.resolve(null),
  ]);
  const note = $("#events-note");
  if (list.status !== 200) {
    note.textContent = `GET /v1/events: ${problem(list)}`;
    note.className = "note bad";
    renderEvents([]);
    return;
  }
  let rows = list.body.items ?? [];
  note.className = "note muted";
  note.textContent = "";
  if (search) {
    const matches = rows.filter((e) => e.id.includes(search));
    const found = exact?.status === 200 ? [exact.body] : [];
    rows = [...found, ...matches.filter((e) => e.id !== search)];
    if (rows.length === 0) {
      note.textContent = `No stored event matches "${search}" (a queued event shows once processed).`;
    }
  } else if (rows.length === 0) {
    note.textContent = type || status ? "No event matches these filters." : "No events yet.";
  }
  renderEvents(rows);
}

function statusBadge(event) {
  return el("span", { class: `badge ${event.status}`, title: event.failure?.reason }, event.status);
}

function renderEvents(rows) {
  const body = $("#events-table tbody");
  const out = [];
  for (const e of rows) {
    const open = expanded.has(e.id);
    out.push(
      el(
        "tr",
        { "data-id": e.id, class: open ? "open" : undefined },
        el(
          "td",
          { class: "id", title: e.id },
          el(
            "button",
            {
              type: "button",
              class: "link",
              title: "show the stored event",
              onclick: () => {
                if (expanded.has(e.id)) expanded.delete(e.id);
                else expanded.add(e.id);
                renderEvents(rows);
              },
            },
            e.id,
          ),
        ),
        el("td", {}, e.type),
        el("td", {}, statusBadge(e)),
        el("td", { class: "num" }, fmt(e.attempts)),
        el("td", { title: e.receivedAt }, fmtTime(e.receivedAt)),
        el("td", { class: "num" }, fmtMs(e.latencyMs)),
        el("td", {}, e.enrichment?.category ?? ""),
      ),
    );
    if (open) {
      out.push(
        el(
          "tr",
          { class: "detail" },
          el("td", { colspan: 7 }, el("pre", {}, JSON.stringify(e, null, 2))),
        ),
      );
    }
  }
  body.replaceChildren(...out);
}

async function pollTypes() {
  const answer = await api("GET", "/v1/stats");
  if (answer.status !== 200) return;
  const types = (answer.body.types ?? []).map((t) => t.type).sort();
  $("#types").replaceChildren(...types.map((t) => el("option", { value: t })));
}

// ---------------------------------------------------------------- schemas

/** Types whose schema is shown. */
const openSchemas = new Set();

async function pollSchemas() {
  const answer = await api("GET", "/v1/schemas");
  const body = $("#schemas-table tbody");
  if (answer.status !== 200) {
    body.replaceChildren(
      el("tr", {}, el("td", { colspan: 5, class: "bad" }, `GET /v1/schemas: ${problem(answer)}`)),
    );
    return;
  }
  const { types = [], settings } = answer.body;
  $("#schemas-policy").textContent = settings
    ? `types without a schema: ${settings.unregistered === "reject" ? "rejected" : "allowed"}`
    : "";
  if (types.length === 0) {
    body.replaceChildren(
      el(
        "tr",
        {},
        el("td", { colspan: 5, class: "muted" }, "No schemas registered (PUT /v1/schemas/{type})."),
      ),
    );
    return;
  }
  const rows = [];
  for (const t of types) {
    rows.push(
      el(
        "tr",
        { "data-type": t.type },
        el(
          "td",
          {},
          el(
            "button",
            {
              type: "button",
              class: "link",
              title: "show the schema",
              onclick: () => {
                if (openSchemas.has(t.type)) openSchemas.delete(t.type);
                else openSchemas.add(t.type);
                void schemas.now();
              },
            },
            t.type,
          ),
        ),
        el("td", { class: "num" }, fmt(t.version)),
        el("td", {}, t.compatibility),
        el("td", {}, el("span", { class: `badge enforcement ${t.enforcement}` }, t.enforcement)),
        el("td", { title: t.updatedAt }, fmtTime(t.updatedAt)),
      ),
    );
    if (openSchemas.has(t.type)) {
      const shown = { schema: t.schema, subject: t.subject, source: t.source };
      rows.push(
        el(
          "tr",
          { class: "detail" },
          el("td", { colspan: 5 }, el("pre", {}, JSON.stringify(shown, null, 2))),
        ),
      );
    }
  }
  body.replaceChildren(...rows);
}

// ---------------------------------------------------------------- rules

/** One action in a line: `reject: "message"`, `enrich: category = <expr>`, `route: dst_… (transform)`. */
function describeAction(a) {
  if (a.type === "reject") return `reject: ${a.message}`;
  if (a.type === "enrich") {
    return `enrich: ${Object.entries(a.set ?? {})
      .map(([field, expr]) => `${field} = ${expr}`)
      .join("; ")}`;
  }
  if (a.type === "route") {
    return `route: ${(a.destinations ?? []).join(", ")}${a.transform ? ` (transform ${a.transform})` : ""}`;
  }
  return JSON.stringify(a);
}

async function pollRules() {
  const answer = await api("GET", "/v1/rules");
  const body = $("#rules-table tbody");
  if (answer.status !== 200) {
    $("#rules-version").textContent = "";
    body.replaceChildren(
      el("tr", {}, el("td", { colspan: 4, class: "bad" }, `GET /v1/rules: ${problem(answer)}`)),
    );
    return;
  }
  const r = answer.body;
  const when = r.updatedAt ? `, changed ${fmtTime(r.updatedAt)}` : "";
  $("#rules-version").textContent =
    `version ${r.version} (${r.source === "default" ? "built-in defaults" : "the tenant's own"}${when})`;
  const list = r.rules ?? [];
  if (list.length === 0) {
    body.replaceChildren(
      el(
        "tr",
        {},
        el("td", { colspan: 4, class: "muted" }, "No rules: events are stored as sent."),
      ),
    );
    return;
  }
  body.replaceChildren(
    ...list.map((rule, i) =>
      el(
        "tr",
        { "data-rule": rule.name, class: rule.enabled === false ? "muted" : "" },
        el("td", { class: "num" }, String(i + 1)),
        el(
          "td",
          { title: rule.description ?? "" },
          rule.enabled === false ? `${rule.name} (off)` : rule.name,
        ),
        el(
          "td",
          { class: "code" },
          JSON.stringify(rule.match) + (rule.condition ? ` and ${rule.condition}` : ""),
        ),
        el("td", {}, rule.actions.map(describeAction).join(" · ")),
      ),
    ),
  );
}

// ---------------------------------------------------------------- aggregates

/** Aggregations shown at most (each is one results request per poll). */
const AGGREGATES_SHOWN = 5;

async function pollAggregates() {
  const note = $("#aggregates-note");
  const body = $("#aggregates-table tbody");
  const list = await api("GET", "/v1/aggregations");
  if (list.status !== 200) {
    note.textContent = `GET /v1/aggregations: ${problem(list)}`;
    note.className = "note bad";
    body.replaceChildren();
    return;
  }
  const names = (list.body.items ?? []).map((a) => a.name).slice(0, AGGREGATES_SHOWN);
  note.className = "note muted";
  note.textContent =
    names.length === 0
      ? "No aggregation declared (PUT /v1/aggregations/{name}, or npm run windows)."
      : (list.body.items ?? []).length > AGGREGATES_SHOWN
        ? `The first ${AGGREGATES_SHOWN} aggregations.`
        : "";
  const from = new Date(Date.now() - 3_600_000).toISOString();
  const results = await Promise.all(
    names.map((name) =>
      api("GET", `/v1/aggregations/${encodeURIComponent(name)}?from=${encodeURIComponent(from)}`),
    ),
  );
  const out = [];
  results.forEach((answer, i) => {
    if (answer.status !== 200) return;
    // Newest windows first, at most 20 per aggregation.
    const windows = [...(answer.body.windows ?? [])].reverse().slice(0, 20);
    for (const w of windows) {
      const group = Object.values(w.group ?? {})
        .map((v) => JSON.stringify(v))
        .join(", ");
      const measures = Object.entries(w.measures ?? {})
        .map(([k, v]) => `${k}=${v === null ? "–" : fmt(v)}`)
        .join(" ");
      out.push(
        el(
          "tr",
          {},
          el("td", {}, names[i]),
          el("td", {}, group || "(all)"),
          el(
            "td",
            { title: `${w.start} .. ${w.end}` },
            `${w.start.slice(11, 19)}–${w.end.slice(11, 19)}`,
          ),
          el(
            "td",
            {},
            el(
              "span",
              { class: `badge ${w.closed ? "processed" : "open"}` },
              w.closed ? "closed" : "open",
            ),
          ),
          el("td", { class: "num" }, String(w.count)),
          el("td", {}, measures),
          el("td", { class: "num" }, String(w.late)),
        ),
      );
    }
  });
  body.replaceChildren(...out);
}

// ---------------------------------------------------------------- failed + replay

let failedRows = [];
/** Ids a dry run selected, waiting for the confirmation. */
let pendingReplay = null;

async function pollFailed() {
  const answer = await api("GET", `/v1/failed?limit=${LIST_LIMIT}`);
  const body = $("#failed-table tbody");
  if (answer.status !== 200) {
    body.replaceChildren(
      el("tr", {}, el("td", { colspan: 7, class: "bad" }, `GET /v1/failed: ${problem(answer)}`)),
    );
    return;
  }
  failedRows = answer.body.items ?? [];
  $("#replay-listed").disabled = failedRows.length === 0 || pendingReplay !== null;
  if (failedRows.length === 0) {
    body.replaceChildren(
      el("tr", {}, el("td", { colspan: 7, class: "muted" }, "No failed events.")),
    );
    return;
  }
  body.replaceChildren(
    ...failedRows.map((f) =>
      el(
        "tr",
        { "data-id": f.id },
        el("td", { class: "id", title: f.id }, f.id),
        el("td", {}, f.type),
        el("td", {}, el("span", { class: `badge kind ${f.failure.kind}` }, f.failure.kind)),
        el("td", { class: "reason", title: f.failure.reason }, f.failure.reason),
        el("td", { class: "num" }, fmt(f.attempts)),
        el("td", { title: f.failedAt }, fmtTime(f.failedAt)),
        el(
          "td",
          {},
          el(
            "button",
            {
              type: "button",
              class: "replay-one",
              disabled: pendingReplay !== null,
              onclick: () => dryRun([f.id]),
            },
            "Replay…",
          ),
        ),
      ),
    ),
  );
}

// ---------------------------------------------------------------- history jobs

/** Where a replay goes: the pipeline, one destination, one aggregation (a backfill). */
function jobTarget(job) {
  if (job.kind !== "replay") return job.kind === "export" ? (job.request?.format ?? "") : "";
  const t = job.request?.target ?? { kind: "pipeline" };
  if (t.kind === "destination") return `destination ${t.destination}`;
  if (t.kind === "aggregation") return `aggregation ${t.aggregation} v${t.version ?? "?"}`;
  return "pipeline";
}

/** The tenant's exports, replays and erasures with their progress (README, History). */
async function pollHistory() {
  const body = $("#history-table tbody");
  const answers = await Promise.all(
    ["exports", "replays", "erasures"].map((kind) => api("GET", `/v1/${kind}`)),
  );
  const refused = answers.find((a) => a.status !== 200);
  const jobs = answers
    .filter((a) => a.status === 200)
    .flatMap((a) => a.body.items ?? [])
    .sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1))
    .slice(0, LIST_LIMIT);
  if (jobs.length === 0) {
    body.replaceChildren(
      el(
        "tr",
        {},
        el(
          "td",
          { colspan: 8, class: refused ? "bad" : "muted" },
          refused ? `history: ${problem(refused)}` : "No exports, replays or erasures yet.",
        ),
      ),
    );
    return;
  }
  body.replaceChildren(
    ...jobs.map((j) => {
      let detail = j.error ?? "";
      if (!detail && j.kind === "export" && j.download) {
        detail = el(
          "a",
          { href: j.download.url },
          `download (${fmt(j.result?.count ?? 0)} events, ${j.result?.format})`,
        );
      } else if (!detail && j.kind === "erasure" && j.steps) {
        detail = Object.entries(j.steps)
          .map(([step, s]) => `${step}${s.count === undefined ? "" : ` ${s.count}`}`)
          .join(" · ");
      } else if (!detail) {
        const r = j.request ?? {};
        detail = [r.type, r.from && `from ${fmtTime(r.from)}`, r.rate && `${r.rate}/s`]
          .filter(Boolean)
          .join(" ");
      }
      const running = j.kind === "replay" && (j.status === "queued" || j.status === "running");
      return el(
        "tr",
        { "data-id": j.id },
        el("td", {}, j.kind),
        el("td", { class: "id", title: j.id }, j.id),
        el("td", { class: "id" }, jobTarget(j)),
        el(
          "td",
          {},
          el(
            "span",
            { class: `badge ${j.status}` },
            j.cancelRequested && running ? "cancelling" : j.status,
          ),
        ),
        el("td", { class: "num" }, `${fmt(j.progress.done)} / ${fmt(j.progress.selected)}`),
        el("td", { title: j.createdAt }, fmtTime(j.createdAt)),
        el("td", { class: "reason" }, detail),
        el(
          "td",
          {},
          running && !j.cancelRequested
            ? el(
                "button",
                {
                  type: "button",
                  class: "secondary",
                  onclick: async () => {
                    await api("DELETE", `/v1/replays/${j.id}`);
                    void history.now();
                  },
                },
                "Cancel",
              )
            : "",
        ),
      );
    }),
  );
}

function showResult(text, kind) {
  const result = $("#replay-result");
  result.hidden = false;
  result.className = `note ${kind}`;
  result.textContent = text;
}

async function dryRun(ids) {
  const answer = await api("POST", "/v1/failed/replay", { ids, dryRun: true });
  if (answer.status !== 200) {
    showResult(`Dry run failed: ${problem(answer)}`, "bad");
    return;
  }
  const events = answer.body.events ?? [];
  const skipped = answer.body.skipped ?? [];
  pendingReplay = events.map((e) => e.id);
  const plural = (k) => `${k} event${k === 1 ? "" : "s"}`;
  $("#replay-panel .replay-title").textContent =
    `Dry run: ${plural(events.length)} would be replayed${
      skipped.length ? `, ${skipped.length} skipped` : ""
    }. Nothing has changed yet.`;
  $("#replay-panel .replay-list").replaceChildren(
    ...events.map((e) =>
      el(
        "li",
        { "data-id": e.id },
        el("code", {}, e.id),
        ` ${e.type} · ${e.kind ?? ""} · ${e.reason ?? ""} · ${plural(e.attempts).replace("event", "attempt")}`,
      ),
    ),
    ...skipped.map((s) =>
      el("li", { class: "muted" }, el("code", {}, s.id), ` skipped: ${s.reason}`),
    ),
  );
  const confirm = $("#replay-confirm");
  confirm.textContent = `Replay ${plural(events.length)}`;
  confirm.disabled = events.length === 0;
  $("#replay-panel").hidden = false;
  $("#replay-result").hidden = true;
  void failed.now();
}

async function confirmReplay() {
  const ids = pendingReplay;
  if (!ids?.length) return;
  $("#replay-confirm").disabled = true;
  const answer = await api("POST", "/v1/failed/replay", { ids, dryRun: false });
  closeReplay();
  if (answer.status === 202) {
    const skipped = answer.body.skipped?.length ?? 0;
    showResult(
      `Replayed ${answer.body.replayed} event${answer.body.replayed === 1 ? "" : "s"}${
        skipped ? ` (${skipped} skipped)` : ""
      }: queued again under the same id (request ${answer.body.requestId}).`,
      "good",
    );
  } else {
    showResult(`Replay failed: ${problem(answer)}`, "bad");
  }
  void failed.now();
  void events.now();
}

function closeReplay() {
  pendingReplay = null;
  $("#replay-panel").hidden = true;
}

// ---------------------------------------------------------------- wiring

const live = poller(pollLive, 1_000);
const events = poller(pollEvents, 2_000);
const failed = poller(pollFailed, 2_000);
const rules = poller(pollRules, 5_000);
const types = poller(pollTypes, 15_000);
const schemas = poller(pollSchemas, 5_000);
const destinations = poller(() => pollDestinations(), 3_000);
const deliveries = poller(() => pollDeliveries(), 2_000);
const outbox = poller(() => pollOutbox(), 3_000);
const aggregates = poller(pollAggregates, 3_000);
const history = poller(pollHistory, 3_000);

function debounce(fn, ms) {
  let timer;
  return () => {
    clearTimeout(timer);
    timer = setTimeout(fn, ms);
  };
}

// ---------------------------------------------------------------- destinations, deliveries, outbox

const expandedDeliveries = new Set();

function targetOf(d) {
  return d.url ?? d.queueUrl ?? d.topicArn ?? d.eventBusArn ?? (d.to ? d.to.join(", ") : "");
}

async function pollDestinations() {
  const answer = await api("GET", "/v1/destinations");
  const note = $("#destinations-note");
  if (answer.status !== 200) {
    note.textContent = `GET /v1/destinations: ${problem(answer)}`;
    note.className = "note bad";
    return;
  }
  const rows = answer.body.items ?? [];
  note.className = "note muted";
  note.textContent =
    rows.length === 0
      ? "No destinations yet (POST /v1/destinations, or npm run destinations)."
      : "";
  $("#destinations-table tbody").replaceChildren(
    ...rows.map((d) =>
      el(
        "tr",
        {},
        el("td", { class: "id", title: d.id }, d.id),
        el("td", {}, d.name),
        el("td", {}, d.ordered ? `${d.kind} (ordered)` : d.kind),
        el("td", { title: targetOf(d) }, targetOf(d)),
        el(
          "td",
          {},
          el(
            "span",
            { class: `badge ${d.enabled ? "processed" : "failed"}`, title: d.disabledReason ?? "" },
            d.enabled ? "enabled" : "disabled",
          ),
        ),
        el(
          "td",
          { title: d.failingSince ? `failing since ${d.failingSince}` : "" },
          d.failingSince
            ? `failing (${fmt(d.consecutiveFailures ?? 0)} in a row)`
            : d.lastSuccessAt
              ? `ok ${fmtTime(d.lastSuccessAt)}`
              : "",
        ),
      ),
    ),
  );
}

async function pollDeliveries() {
  const status = $("#filter-delivery-status").value;
  const params = new URLSearchParams({ limit: String(LIST_LIMIT) });
  if (status) params.set("status", status);
  const answer = await api("GET", `/v1/deliveries?${params}`);
  const note = $("#deliveries-note");
  if (answer.status !== 200) {
    note.textContent = `GET /v1/deliveries: ${problem(answer)}`;
    note.className = "note bad";
    return;
  }
  const rows = answer.body.items ?? [];
  note.className = "note muted";
  note.textContent = rows.length === 0 ? "No deliveries yet." : "";
  renderDeliveries(rows);
}

function renderDeliveries(rows) {
  const out = [];
  for (const d of rows) {
    const open = expandedDeliveries.has(d.id);
    const last = d.attempts?.at(-1);
    out.push(
      el(
        "tr",
        { class: open ? "open" : undefined },
        el(
          "td",
          { class: "id", title: d.id },
          el(
            "button",
            {
              type: "button",
              class: "link",
              title: "show the attempts",
              onclick: () => {
                if (expandedDeliveries.has(d.id)) expandedDeliveries.delete(d.id);
                else expandedDeliveries.add(d.id);
                renderDeliveries(rows);
              },
            },
            d.id,
          ),
        ),
        el("td", { title: d.eventId }, `${d.eventType} ${d.eventId}`),
        el("td", { class: "id", title: d.destinationId }, d.destinationId),
        el(
          "td",
          {},
          el(
            "span",
            {
              class: `badge ${d.status === "delivered" ? "processed" : d.status === "failed" ? "failed" : ""}`,
              title: d.failure?.reason ?? d.nextAttemptAt ?? "",
            },
            d.status,
          ),
        ),
        el("td", { class: "num" }, fmt(d.attemptCount)),
        el(
          "td",
          { title: last?.at ?? "" },
          last ? `${last.status ?? last.error ?? last.outcome} ${fmtMs(last.latencyMs)}` : "",
        ),
      ),
    );
    if (open) {
      const lines = (d.attempts ?? []).map(
        (a) =>
          `#${a.number} ${a.at} ${a.outcome} ${a.status ?? ""} ${a.latencyMs} ms ${a.error ?? ""}${a.response ? `\n    ${a.response}` : ""}`,
      );
      out.push(
        el(
          "tr",
          { class: "detail" },
          el(
            "td",
            { colspan: 6 },
            el(
              "pre",
              {},
              `${lines.join("\n")}${d.failure ? `\nfailed: ${d.failure.reason}` : ""}${d.nextAttemptAt ? `\nnext attempt: ${d.nextAttemptAt}` : ""}`,
            ),
          ),
        ),
      );
    }
  }
  $("#deliveries-table tbody").replaceChildren(...out);
}

async function pollOutbox() {
  const res = await fetch("/_local/outbox", {
    cache: "no-store",
    signal: AbortSignal.timeout(5_000),
  }).catch(() => null);
  const note = $("#outbox-note");
  if (res?.status !== 200) {
    note.textContent = "The outbox is shown to this machine only.";
    return;
  }
  const items = (await res.json()).items ?? [];
  note.textContent = items.length === 0 ? "Nothing sent to SES or EventBridge yet." : "";
  $("#outbox-table tbody").replaceChildren(
    ...items.map((i) => {
      const email = i.input?.Destination?.ToAddresses;
      const entry = i.input?.Entries?.[0];
      return el(
        "tr",
        {},
        el("td", { title: i.at }, fmtTime(i.at)),
        el("td", {}, i.service),
        el("td", {}, email ? email.join(", ") : (entry?.EventBusName ?? "")),
        el(
          "td",
          { title: JSON.stringify(i.input) },
          email ? (i.input?.Content?.Simple?.Subject?.Data ?? "") : (entry?.DetailType ?? ""),
        ),
      );
    }),
  );
}

async function main() {
  renderKey();
  $("#key-form").addEventListener("submit", (event) => {
    event.preventDefault();
    setKey($("#api-key").value.trim(), "user");
    void events.now();
    void failed.now();
    void types.now();
    void schemas.now();
    void rules.now();
    void aggregates.now();
  });
  const windowSelect = $("#window");
  windowSelect.value = String(state.windowSeconds);
  windowSelect.addEventListener("change", () => {
    state.windowSeconds = Number(windowSelect.value) || 120;
    localStorage.setItem(STORAGE.window, String(state.windowSeconds));
    void live.now();
  });
  const refreshEvents = debounce(() => void events.now(), 250);
  for (const id of ["#search-id", "#filter-type", "#filter-status"]) {
    $(id).addEventListener("input", refreshEvents);
  }
  $("#event-filters").addEventListener("submit", (event) => {
    event.preventDefault();
    void events.now();
  });
  $("#replay-listed").addEventListener("click", () => dryRun(failedRows.map((f) => f.id)));
  $("#replay-confirm").addEventListener("click", () => void confirmReplay());
  $("#replay-cancel").addEventListener("click", () => {
    closeReplay();
    void failed.now();
  });
  window.addEventListener(
    "resize",
    debounce(() => state.series && void live.now(), 150),
  );
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden) for (const p of [live, events, failed, aggregates]) void p.now();
  });

  // A key typed in wins; otherwise the local runtime's dev key, where it has one.
  if (key.source !== "user") await offerDevKey();
  void live.start();
  void events.start();
  void failed.start();
  void types.start();
  void schemas.start();
  void rules.start();
  void destinations.start();
  void deliveries.start();
  void outbox.start();
  $("#filter-delivery-status").addEventListener("input", () => void deliveries.now());
  void aggregates.start();
  void history.start();
}

void main();
