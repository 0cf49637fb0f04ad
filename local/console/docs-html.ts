/**
 * A human-readable page for an OpenAPI document (the local runtime serves it at /docs):
 * one self-contained HTML file, inline CSS, no script, nothing fetched from elsewhere.
 * Every text of the document is HTML-escaped; `code` and **bold** in descriptions are
 * the only markup rendered.
 */
import type {
  JsonSchema,
  OpenApiDocument,
  OperationObject,
} from "../../lambdas/http/openapi-document.js";

const METHODS = ["get", "post", "put", "patch", "delete"] as const;

export function renderDocsHtml(doc: OpenApiDocument): string {
  const operations = Object.entries(doc.paths).flatMap(([path, item]) =>
    METHODS.flatMap((method) => {
      const op = item[method];
      return op ? [{ path, method, op }] : [];
    }),
  );
  const nav = doc.tags
    .map((tag) => {
      const items = operations
        .filter(({ op }) => op.tags.includes(tag.name))
        .map(
          ({ path, method, op }) =>
            `<li><a href="#op-${attr(op.operationId)}"><span class="m ${method}">${method.toUpperCase()}</span> ${esc(path)}</a></li>`,
        )
        .join("");
      return items ? `<h3>${esc(tag.name)}</h3><ul>${items}</ul>` : "";
    })
    .join("");
  const schemaNav = Object.keys(doc.components.schemas)
    .map((name) => `<li><a href="#schema-${attr(name)}">${esc(name)}</a></li>`)
    .join("");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(doc.info.title)} ${esc(doc.info.version)}</title>
<style>${CSS}</style>
</head>
<body>
<nav>
<h2>${esc(doc.info.title)}</h2>
${nav}
<h3>schemas</h3><ul>${schemaNav}</ul>
</nav>
<main>
<header>
<h1>${esc(doc.info.title)} <small>${esc(doc.info.version)} · OpenAPI ${esc(doc.openapi)}</small></h1>
${prose(doc.info.description)}
<p class="muted">Servers: ${doc.servers.map((s) => `<code>${esc(s.url)}</code> ${esc(s.description ?? "")}`).join("; ")}. The machine-readable document: <a href="v1/openapi.json"><code>/v1/openapi.json</code></a>.</p>
</header>
${operations.map(({ path, method, op }) => operation(path, method, op)).join("\n")}
<section><h2>Schemas</h2>
${Object.entries(doc.components.schemas)
  .map(
    ([name, schema]) =>
      `<article id="schema-${attr(name)}"><h3>${esc(name)}</h3>${prose(description(schema))}${schemaBlock(schema)}</article>`,
  )
  .join("\n")}
</section>
</main>
</body>
</html>
`;
}

function operation(path: string, method: string, op: OperationObject): string {
  const params = op.parameters ?? [];
  const paramTable =
    params.length === 0
      ? ""
      : `<h4>Parameters</h4><table><thead><tr><th>name</th><th>in</th><th>required</th><th>schema</th><th>description</th></tr></thead><tbody>${params
          .map(
            (p) =>
              `<tr><td><code>${esc(p.name)}</code></td><td>${esc(p.in)}</td><td>${p.required ? "yes" : "no"}</td><td>${schemaSummary(p.schema)}</td><td>${inline(p.description ?? "")}</td></tr>`,
          )
          .join("")}</tbody></table>`;
  const body = op.requestBody
    ? `<h4>Request body${op.requestBody.required ? "" : " (optional)"}</h4>${prose(op.requestBody.description)}${media(op.requestBody.content)}`
    : "";
  const responses = Object.entries(op.responses)
    .map(
      ([status, r]) =>
        `<div class="response"><span class="status s${esc(status.charAt(0))}">${esc(status)}</span> ${inline(r.description)}${media(r.content ?? {})}</div>`,
    )
    .join("");
  const undocumented = op["x-eventflow-undocumented"]
    ? `<p class="warn">This route has no description yet.</p>`
    : "";
  return `<section class="op" id="op-${attr(op.operationId)}">
<h2><span class="m ${method}">${method.toUpperCase()}</span> <code>${esc(path)}</code></h2>
<p class="summary">${esc(op.summary)} <span class="muted">(${esc(op.operationId)})</span></p>
${undocumented}${prose(op.description)}${paramTable}${body}<h4>Responses</h4>${responses}
</section>`;
}

function media(content: Record<string, { schema: JsonSchema }>): string {
  const entries = Object.entries(content);
  if (entries.length === 0) return "";
  return `<dl>${entries
    .map(([type, m]) => `<dt><code>${esc(type)}</code></dt><dd>${schemaInline(m.schema)}</dd>`)
    .join("")}</dl>`;
}

/** A $ref as a link, a oneOf of refs as links, anything else as JSON. */
function schemaInline(schema: JsonSchema): string {
  const ref = refName(schema);
  if (ref) return refLink(ref);
  const members = schema.oneOf ?? schema.anyOf;
  if (Array.isArray(members) && members.every((m) => refName(m as JsonSchema))) {
    return `one of ${members.map((m) => refLink(refName(m as JsonSchema) ?? "")).join(", ")}`;
  }
  return schemaBlock(schema);
}

/** One line for a parameter: type, then format, values, pattern or bounds. */
function schemaSummary(schema: JsonSchema): string {
  const parts = [typeof schema.type === "string" ? schema.type : "any"];
  if (typeof schema.format === "string") parts.push(schema.format);
  else if (Array.isArray(schema.enum)) parts.push(`one of ${schema.enum.join(", ")}`);
  else if (typeof schema.pattern === "string") {
    const pattern = schema.pattern;
    parts.push(`pattern ${pattern.length > 60 ? `${pattern.slice(0, 57)}...` : pattern}`);
  }
  if (typeof schema.maxLength === "number") parts.push(`at most ${schema.maxLength} characters`);
  return `<code>${esc(parts.join(" · "))}</code>`;
}

function schemaBlock(schema: JsonSchema): string {
  const json = esc(JSON.stringify(schema, null, 2)).replace(
    /&quot;#\/components\/schemas\/([A-Za-z0-9_.-]+)&quot;/g,
    (_, name: string) =>
      `&quot;<a href="#schema-${attr(name)}">#/components/schemas/${name}</a>&quot;`,
  );
  return `<pre>${json}</pre>`;
}

const refName = (schema: JsonSchema): string | undefined => {
  const ref = schema.$ref;
  return typeof ref === "string" && ref.startsWith("#/components/schemas/")
    ? ref.slice("#/components/schemas/".length)
    : undefined;
};

const refLink = (name: string) => `<a href="#schema-${attr(name)}"><code>${esc(name)}</code></a>`;

const description = (schema: JsonSchema): string | undefined =>
  typeof schema.description === "string" ? schema.description : undefined;

/** Paragraphs (blank-line separated) of inline-formatted text. */
function prose(text: string | undefined): string {
  if (!text) return "";
  return text
    .split(/\n{2,}/)
    .map((p) => `<p>${inline(p)}</p>`)
    .join("");
}

/** Escaped text with `code` spans and **bold**. */
function inline(text: string): string {
  return text
    .split(/(`[^`]*`)/)
    .map((part) =>
      part.startsWith("`") && part.endsWith("`") && part.length >= 2
        ? `<code>${esc(part.slice(1, -1))}</code>`
        : esc(part).replace(/\*\*([^*]+)\*\*/g, "<strong>$1</strong>"),
    )
    .join("");
}

export function esc(text: string): string {
  return text
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&#39;");
}

/** For id and href fragments: only characters that need no escaping. */
const attr = (text: string) => text.replace(/[^A-Za-z0-9_.-]/g, "_");

const CSS = `
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1d2330;display:flex}
nav{position:sticky;top:0;height:100vh;overflow:auto;width:290px;flex:none;padding:16px;background:#f4f6fa;border-right:1px solid #dde2ea;font-size:14px}
nav ul{list-style:none;padding:0;margin:0 0 12px}
nav li{margin:2px 0}
nav a{color:#1d2330;text-decoration:none}
nav h3{text-transform:uppercase;font-size:12px;color:#667;margin:16px 0 4px}
main{flex:1;min-width:0;padding:24px 40px;max-width:1100px}
h1 small{font-size:14px;color:#667;font-weight:normal}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:13px}
code{background:#eef1f6;padding:1px 4px;border-radius:3px}
pre{background:#f7f8fb;border:1px solid #e3e7ee;padding:10px;overflow:auto;max-height:420px;white-space:pre-wrap;word-break:break-all}
pre a{color:#1957c2}
.op{border-top:1px solid #dde2ea;padding:12px 0 20px}
.m{display:inline-block;min-width:52px;text-align:center;border-radius:4px;color:#fff;font-size:12px;font-weight:600;padding:2px 6px}
.get{background:#2f7d46}.post{background:#1957c2}.put{background:#a06a00}.patch{background:#6a4bb0}.delete{background:#b3261e}
.summary{font-weight:600}
.muted{color:#667;font-weight:normal}
.warn{background:#fff4d6;border:1px solid #e8c66a;padding:6px 10px}
table{border-collapse:collapse;width:100%;margin:6px 0}
th,td{border:1px solid #e3e7ee;padding:4px 8px;text-align:left;vertical-align:top}
td pre{margin:0;max-height:160px}
.response{margin:8px 0}
.status{display:inline-block;min-width:40px;font-weight:700}
.s2{color:#2f7d46}.s4{color:#a06a00}.s5{color:#b3261e}
dl{margin:4px 0 4px 16px}dd{margin:0 0 6px 16px}
article{margin:14px 0}
`;
