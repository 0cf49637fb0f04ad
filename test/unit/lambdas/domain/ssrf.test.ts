/** Which addresses a webhook may reach: private, loopback, link-local, unique-local, embedded IPv4. */
import { describe, expect, it } from "vitest";
import {
  forbiddenAddress,
  invalidWebhookUrl,
  isLoopback,
} from "../../../../lambdas/domain/ssrf.js";

const aws = { allowLoopback: false };
const local = { allowLoopback: true };

describe("forbiddenAddress", () => {
  it.each([
    "127.0.0.1",
    "127.255.0.9",
    "10.1.2.3",
    "172.16.0.1",
    "172.31.255.255",
    "192.168.0.10",
    "169.254.169.254",
    "100.64.0.1",
    "0.0.0.0",
    "224.0.0.1",
    "255.255.255.255",
    "::1",
    "::",
    "fe80::1",
    "fd00:ec2::254",
    "fc00::7",
    "ff02::1",
    "::ffff:169.254.169.254",
    "::ffff:a9fe:a9fe",
    "64:ff9b::a9fe:a9fe",
    "2002:a9fe:a9fe::1",
    "::ffff:10.0.0.1",
  ])("refuses %s on AWS", (address) => {
    expect(forbiddenAddress(address, aws)).toBeDefined();
  });

  it.each(["93.184.216.34", "8.8.8.8", "172.32.0.1", "2606:4700:4700::1111", "::ffff:8.8.8.8"])(
    "allows the public %s",
    (address) => {
      expect(forbiddenAddress(address, aws)).toBeUndefined();
    },
  );

  it("allows loopback, and only loopback, where loopback is allowed", () => {
    for (const a of ["127.0.0.1", "::1", "::ffff:127.0.0.1"])
      expect(forbiddenAddress(a, local)).toBeUndefined();
    for (const a of ["10.0.0.1", "169.254.169.254", "fd00::1"])
      expect(forbiddenAddress(a, local)).toBeDefined();
    expect(isLoopback("::ffff:7f00:1")).toBe(true);
  });
});

describe("invalidWebhookUrl", () => {
  it("wants https, except http to loopback where loopback is allowed", () => {
    expect(invalidWebhookUrl("https://example.com/hook", aws)).toBeUndefined();
    expect(invalidWebhookUrl("http://example.com/hook", aws)).toMatch(/https/);
    expect(invalidWebhookUrl("http://127.0.0.1:8080/hook", aws)).toMatch(/https/);
    expect(invalidWebhookUrl("http://127.0.0.1:8080/hook", local)).toBeUndefined();
    expect(invalidWebhookUrl("http://localhost:8080/hook", local)).toBeUndefined();
    expect(invalidWebhookUrl("https://localhost/hook", aws)).toMatch(/localhost/);
    expect(invalidWebhookUrl("https://user:pw@example.com/", aws)).toMatch(/credentials/);
    expect(invalidWebhookUrl("https://[::ffff:169.254.169.254]/", aws)).toBeDefined();
    expect(invalidWebhookUrl("not a url", aws)).toMatch(/absolute/);
  });
});
