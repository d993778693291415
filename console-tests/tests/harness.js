// Starts the server jar on a free port with a temp data dir and a known admin token, and a headless
// Debian chromium driven by playwright-core; stops both at the end.
import { spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(here, "..");
export const SHOTS = path.join(ROOT, "screenshots");
const JAR = process.env.XIAOLABA_JAR || path.resolve(ROOT, "..", "server", "target", "xiaolaba-server.jar");
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
export const ADMIN = "console-test-admin-8e3b6d1f9a4c7e2b5d0f3a6c";

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

async function waitReady(base, child, log, ms) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}; see ${log}`);
    try {
      const res = await fetch(`${base}/readyz`);
      if (res.ok) return;
    } catch { /* not listening yet */ }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`server not ready after ${ms} ms; see ${log}`);
}

/** SIGTERM, then SIGKILL if it has not exited after graceMs; resolves once it has exited. */
function stopProcess(child, graceMs) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const force = setTimeout(() => child.kill("SIGKILL"), graceMs);
    child.once("exit", () => { clearTimeout(force); resolve(); });
    child.kill("SIGTERM");
  });
}

/** The server and browser of one test run, with helpers for the API and screenshots. */
export async function startAll() {
  if (!fs.existsSync(JAR)) throw new Error(`${JAR} is missing: run mvn verify (or mvn -DskipTests package) first`);
  fs.mkdirSync(SHOTS, { recursive: true });
  // Only this run's screenshots: numbers restart at 01.
  for (const f of fs.readdirSync(SHOTS)) if (f.endsWith(".png")) fs.rmSync(path.join(SHOTS, f));
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "xiaolaba-console-"));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const log = path.join(SHOTS, "server.log");
  const out = fs.openSync(log, "w");
  const child = spawn("java", ["-jar", JAR], {
    env: { ...process.env, XIAOLABA_PORT: String(port), XIAOLABA_DATA_DIR: dataDir, XIAOLABA_ADMIN_TOKEN: ADMIN },
    stdio: ["ignore", out, out],
  });
  const stopServer = () => stopProcess(child, 20000);
  try {
    await waitReady(base, child, log, 120000);
  } catch (e) {
    await stopServer();
    throw e;
  }
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "xiaolaba-chromium-"));
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    baseURL: base,
    viewport: { width: 412, height: 915 }, // a phone: most broadcasters use one
    locale: "zh-CN",
    timezoneId: "Asia/Shanghai",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  browser.setDefaultTimeout(15000);
  let shot = 0;
  const terminals = [];
  return {
    base,
    browser,
    /** Calls the API as the admin (or a given token); resolves with the JSON body. */
    async api(method, p, body, token = ADMIN) {
      const res = await fetch(base + p, {
        method,
        headers: { Authorization: `Bearer ${token}`, ...(body ? { "Content-Type": "application/json" } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
      const json = await res.json().catch(() => null);
      if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${JSON.stringify(json)}`);
      return json;
    },
    /** Saves a full-page screenshot named by step, numbered in the order taken. */
    async screenshot(page, name) {
      shot += 1;
      await page.screenshot({ path: path.join(SHOTS, `${String(shot).padStart(2, "0")}-${name}.png`), fullPage: true });
    },
    /**
     * Runs the jar's reference loudspeaker terminal with this terminal token, against this server,
     * its audio decoded and dropped; its log goes next to the screenshots. Stopped with the rest.
     */
    startTerminal(token, name = "terminal") {
      const data = fs.mkdtempSync(path.join(os.tmpdir(), "xiaolaba-terminal-"));
      const out = fs.openSync(path.join(SHOTS, `${name}.log`), "w");
      const child = spawn("java", ["-jar", JAR, "terminal", "--server", base.replace(/^http/, "ws"),
        "--token", token, "--data", data], { stdio: ["ignore", out, out] });
      terminals.push({ child, data });
      return { stop: () => stopProcess(child, 10000) };
    },
    async stop() {
      for (const t of terminals) {
        await stopProcess(t.child, 10000);
        fs.rmSync(t.data, { recursive: true, force: true });
      }
      await browser.close().catch(() => {});
      await stopServer();
      fs.rmSync(profile, { recursive: true, force: true });
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A WAV file of a sine tone: 16-bit mono PCM, written byte by byte. */
export function sineWav(file, seconds = 3, hz = 440, rate = 44100) {
  const samples = Math.round(seconds * rate);
  const buf = Buffer.alloc(44 + samples * 2);
  buf.write("RIFF", 0, "ascii");
  buf.writeUInt32LE(36 + samples * 2, 4);
  buf.write("WAVE", 8, "ascii");
  buf.write("fmt ", 12, "ascii");
  buf.writeUInt32LE(16, 16); // fmt chunk size
  buf.writeUInt16LE(1, 20); // PCM
  buf.writeUInt16LE(1, 22); // mono
  buf.writeUInt32LE(rate, 24);
  buf.writeUInt32LE(rate * 2, 28); // byte rate
  buf.writeUInt16LE(2, 32); // block align
  buf.writeUInt16LE(16, 34); // bits per sample
  buf.write("data", 36, "ascii");
  buf.writeUInt32LE(samples * 2, 40);
  for (let i = 0; i < samples; i++) {
    buf.writeInt16LE(Math.round(Math.sin((2 * Math.PI * hz * i) / rate) * 0.5 * 32767), 44 + i * 2);
  }
  fs.writeFileSync(file, buf);
  return file;
}
