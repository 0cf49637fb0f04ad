/**
 * Which addresses a webhook may reach. On AWS nothing private: loopback, RFC 1918,
 * link-local (169.254.169.254 is the instance metadata service), carrier-grade NAT,
 * unique-local and the special ranges; IPv4 embedded in IPv6 (mapped, NAT64, 6to4) is
 * checked as the IPv4 it carries. The local runtime may allow loopback, and only loopback.
 * Checked when a destination is created (its literal address or what its name resolves
 * to) and again on every connection (adapters/http-delivery-client.ts resolves the name
 * itself and connects to the address it checked: DNS rebinding changes nothing).
 */
import { isIP } from "node:net";

export interface AddressPolicy {
  allowLoopback: boolean;
}

type Range = [number, number]; // IPv4: [network, prefix length]

const V4_FORBIDDEN: [string, number][] = [
  ["0.0.0.0", 8], // "this network"
  ["10.0.0.0", 8],
  ["100.64.0.0", 10], // carrier-grade NAT
  ["127.0.0.0", 8], // loopback
  ["169.254.0.0", 16], // link-local, cloud metadata
  ["172.16.0.0", 12],
  ["192.0.0.0", 24], // IETF protocol assignments
  ["192.0.2.0", 24], // documentation
  ["192.88.99.0", 24], // 6to4 relay anycast
  ["192.168.0.0", 16],
  ["198.18.0.0", 15], // benchmarking
  ["198.51.100.0", 24],
  ["203.0.113.0", 24],
  ["224.0.0.0", 4], // multicast
  ["240.0.0.0", 4], // reserved, broadcast
];

const v4 = (address: string): number =>
  address.split(".").reduce((acc, part) => acc * 256 + Number(part), 0);

const V4_RANGES: Range[] = V4_FORBIDDEN.map(([net, bits]) => [v4(net), bits]);

function inV4(value: number, [net, bits]: Range): boolean {
  const size = 2 ** (32 - bits);
  return Math.floor(value / size) === Math.floor(net / size);
}

export function isLoopback(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return inV4(v4(address), [v4("127.0.0.0"), 8]);
  if (family === 6) {
    const words = v6Words(address);
    if (!words) return false;
    if (words.slice(0, 7).every((w) => w === 0) && words[7] === 1) return true;
    const embedded = embeddedV4(words);
    return embedded !== undefined && isLoopback(embedded);
  }
  return false;
}

/** Why an address may not be reached, or undefined when it may. */
export function forbiddenAddress(address: string, policy: AddressPolicy): string | undefined {
  if (policy.allowLoopback && isLoopback(address)) return undefined;
  const family = isIP(address);
  if (family === 4) {
    const value = v4(address);
    return V4_RANGES.some((r) => inV4(value, r))
      ? `${address} is a private or reserved address`
      : undefined;
  }
  if (family === 6) {
    const words = v6Words(address);
    if (!words) return `${address} is not a valid address`;
    const embedded = embeddedV4(words);
    if (embedded !== undefined) {
      const inner = forbiddenAddress(embedded, policy);
      return inner ? `${address} carries ${inner}` : undefined;
    }
    const first = words[0] ?? 0;
    if (words.every((w) => w === 0)) return `${address} is the unspecified address`;
    if (words.slice(0, 7).every((w) => w === 0) && words[7] === 1) return `${address} is loopback`;
    if ((first & 0xfe00) === 0xfc00) return `${address} is a unique-local address`;
    if ((first & 0xffc0) === 0xfe80) return `${address} is link-local`;
    if ((first & 0xffc0) === 0xfec0) return `${address} is site-local`;
    if ((first & 0xff00) === 0xff00) return `${address} is multicast`;
    if (first === 0x2001 && (words[1] ?? 0) === 0x0db8)
      return `${address} is a documentation address`;
    if (first === 0x0100 && words.slice(1, 4).every((w) => w === 0))
      return `${address} is a discard address`;
    // fd00:ec2::254 (IMDS over IPv6) is unique-local: covered above.
    return undefined;
  }
  return `${address} is not an IP address`;
}

/** The IPv4 address inside a mapped (::ffff:a.b.c.d), compatible, NAT64 or 6to4 address. */
function embeddedV4(words: number[]): string | undefined {
  const tail = (hi: number, lo: number) => `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;
  const w = (i: number) => words[i] ?? 0;
  // ::ffff:0:0/96 mapped, ::/96 compatible (not :: and ::1), 64:ff9b::/96 NAT64.
  if (
    w(0) === 0 &&
    w(1) === 0 &&
    w(2) === 0 &&
    w(3) === 0 &&
    w(4) === 0 &&
    (w(5) === 0xffff || w(5) === 0)
  ) {
    if (w(5) === 0 && w(6) === 0) return undefined;
    return tail(w(6), w(7));
  }
  if (w(0) === 0x64 && w(1) === 0xff9b && w(2) === 0 && w(3) === 0 && w(4) === 0 && w(5) === 0) {
    return tail(w(6), w(7));
  }
  if (w(0) === 0x2002) return tail(w(1), w(2)); // 6to4
  return undefined;
}

/** Eight 16-bit words of an IPv6 address (with an embedded dotted IPv4 tail), or null. */
function v6Words(address: string): number[] | null {
  let text = address.replace(/^\[|\]$/g, "");
  const zone = text.indexOf("%");
  if (zone >= 0) text = text.slice(0, zone);
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted?.[1]) {
    const value = v4(dotted[1]);
    text = `${text.slice(0, -dotted[1].length)}${((value >>> 16) & 0xffff).toString(16)}:${(value & 0xffff).toString(16)}`;
  }
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const parse = (part: string) =>
    part === "" ? [] : part.split(":").map((h) => Number.parseInt(h, 16));
  const head = parse(halves[0] ?? "");
  const tail = halves.length === 2 ? parse(halves[1] ?? "") : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 && head.length !== 8) return null;
  if (missing < 0) return null;
  const words = [...head, ...Array<number>(halves.length === 2 ? missing : 0).fill(0), ...tail];
  return words.length === 8 && words.every((n) => Number.isInteger(n) && n >= 0 && n <= 0xffff)
    ? words
    : null;
}

/**
 * A webhook or Slack URL's shape: https, or http only to loopback where loopback is
 * allowed; no credentials in it. Addresses are checked separately (they need DNS).
 */
export function invalidWebhookUrl(raw: string, policy: AddressPolicy): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    return "must be an absolute URL";
  }
  if (parsed.username || parsed.password) return "must not carry credentials (use headers)";
  const host = parsed.hostname.replace(/^\[|\]$/g, "");
  if (parsed.protocol === "http:") {
    const loopbackName = host === "localhost" || isLoopback(host);
    if (!(policy.allowLoopback && loopbackName)) return "must use https";
  } else if (parsed.protocol !== "https:") {
    return "must use https";
  }
  if (host === "localhost" && !policy.allowLoopback) return "must not point at localhost";
  if (isIP(host)) return forbiddenAddress(host, policy);
  return undefined;
}
