/**
 * TypeScript types for a tenant's event types, from their latest schemas, generated with
 * json-schema-to-typescript: one declaration per type's `data`, and the map the producer
 * SDK takes as its type parameter (`new EventFlow<EventTypes>(...)`, so `track({ type,
 * data })` is checked at compile time):
 *
 *   export interface EventTypes { "purchase": PurchaseData; "user.signup": UserSignupData; }
 */
import { compile } from "json-schema-to-typescript";

const pascal = (text: string) =>
  text
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => (w[0]?.toUpperCase() ?? "") + w.slice(1))
    .join("");

/** `order.paid` -> `OrderPaidData`; names that would collide get a number. */
export function typeNames(types: readonly string[]): Map<string, string> {
  const names = new Map<string, string>();
  const used = new Set<string>();
  for (const type of [...types].sort()) {
    let base = pascal(type) || "Event";
    if (/^[0-9]/.test(base)) base = `T${base}`;
    base = `${base}Data`;
    let name = base;
    for (let n = 2; used.has(name); n++) name = `${base}${n}`;
    used.add(name);
    names.set(type, name);
  }
  return names;
}

export async function generateTypes(
  schemas: readonly { type: string; version: number; schema: unknown }[],
  banner: string,
): Promise<string> {
  const names = typeNames(schemas.map((s) => s.type));
  const parts: string[] = [`/* ${banner} */`, ""];
  const entries: string[] = [];
  for (const { type, version, schema } of [...schemas].sort((a, b) =>
    a.type.localeCompare(b.type),
  )) {
    const name = names.get(type) as string;
    const input: Record<string, unknown> =
      typeof schema === "object" && schema !== null
        ? structuredClone(schema as Record<string, unknown>)
        : {};
    // The declaration's name is ours; a schema's own title would rename it.
    delete input.title;
    delete input.$id;
    // Definitions are named after the type (OrderPaidDataItem), so two types' `$defs`
    // never declare the same name twice in one module.
    for (const key of ["$defs", "definitions"]) {
      const defs = input[key];
      if (typeof defs !== "object" || defs === null) continue;
      for (const [defName, def] of Object.entries(defs)) {
        if (typeof def === "object" && def !== null) {
          (def as Record<string, unknown>).title = `${name}${pascal(defName)}`;
        }
      }
    }
    const ts = await compile(input as never, name, {
      bannerComment: `/** \`data\` of ${JSON.stringify(type).slice(1, -1)} events (schema version ${version}) */`,
      additionalProperties: true,
      strictIndexSignatures: true,
      format: true,
    });
    parts.push(ts.trim(), "");
    // The generator normalizes names its own way (E2eCli -> E2ECli): take the one it declared.
    const declared = /export (?:interface|type) (\w+)/.exec(ts)?.[1] ?? name;
    entries.push(`  ${JSON.stringify(type)}: ${declared};`);
  }
  parts.push(
    "/** Each event type of the tenant and the type of its `data`: new EventFlow<EventTypes>(...). */",
    `export interface EventTypes {\n${entries.join("\n")}${entries.length ? "\n" : ""}}`,
    "",
  );
  return parts.join("\n");
}
