// The console in a real browser against a real server: log in, upload a clip and watch it reach
// ready, schedule a program and find it on the calendar (and a clash refused), send a push and see
// it arrive on /listen, and a broadcaster refused on another village. Screenshots of every step
// go to screenshots/.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { startAll, sineWav } from "./harness.js";

describe("web console", () => {
  let run;
  let page;
  let village;
  let otherVillage;
  let editor;
  let broadcaster;
  let clipTitle;
  let programId;

  before(async () => {
    run = await startAll();
    const county = await run.api("GET", "/api/v1/areas");
    const town = county.children[0];
    [village, otherVillage] = town.children;
    editor = (await run.api("POST", "/api/v1/tokens", { role: "editor", name: "县台编辑", areas: [county.code] })).token;
    broadcaster = (await run.api("POST", "/api/v1/tokens",
      { role: "broadcaster", name: `${village.name}广播员`, areas: [village.code] })).token;
    page = await run.browser.newPage();
    page.on("pageerror", (e) => console.error("page error:", e.message));
  });

  after(async () => {
    await run?.stop();
  });

  async function login(token) {
    await page.goto("/");
    await page.locator("#login, #who:not([hidden])").first().waitFor();
    if (await page.locator("#logout").isVisible()) {
      await page.click("#logout");
    }
    await page.fill("#login input[name=token]", token);
    await page.click("#login button[type=submit]");
    await page.locator("#login").waitFor({ state: "detached" });
    await page.locator("#nav").waitFor({ state: "visible" });
  }

  /** Picks the option of a select whose text contains {text}. */
  async function choose(select, text) {
    const value = await select.evaluate((s, t) => [...s.options].find((o) => o.text.includes(t))?.value, text);
    assert.ok(value, `no option with "${text}"`);
    await select.selectOption(value);
  }

  async function open(screen) {
    await page.click(`#nav a[data-screen=${screen}]`);
    await page.locator(`#screen-${screen}`).waitFor();
  }

  it("logs in with a token and shows only what the role may do", async () => {
    await page.goto("/");
    await page.fill("#login input[name=token]", "no-such-token");
    await page.click("#login button[type=submit]");
    await page.locator("#login .msg.error").waitFor();
    assert.match(await page.textContent("#login .msg.error"), /令牌无效/);
    await run.screenshot(page, "login-refused");

    await login(editor);
    assert.match(await page.textContent("#who-name"), /县台编辑 · 编辑/);
    const tabs = await page.locator("#nav a").allTextContents();
    assert.ok(tabs.includes("音频库") && tabs.includes("推送"), tabs.join());
    assert.ok(!tabs.includes("紧急广播"), "an editor has no emergency screen");
    await run.screenshot(page, "logged-in-editor");
  });

  it("uploads a clip with progress and follows it to ready", async () => {
    await open("clips");
    const wav = sineWav(path.join(fs.mkdtempSync(path.join(os.tmpdir(), "wav-")), "tone.wav"), 3);
    clipTitle = "防汛通知录音";
    await page.setInputFiles("#upload input[type=file]", wav);
    await page.fill("#upload input[name=title]", clipTitle);
    await page.click("#upload button[type=submit]");
    await page.waitForFunction(() => document.getElementById("upload-progress").value === 1);
    await run.screenshot(page, "clip-uploaded-processing");
    await page.locator("#upload-state", { hasText: "处理完成" }).waitFor({ timeout: 90000 });
    assert.equal(await page.locator("#process-progress").evaluate((p) => p.value), 100);
    const item = page.locator("#clip-list li.clip", { hasText: clipTitle });
    await item.waitFor();
    assert.equal(await item.getAttribute("data-status"), "ready");
    assert.equal(await item.locator("audio").count(), 2, "both renditions can be played");
    assert.match(await item.textContent(), /LUFS/);
    await run.screenshot(page, "clip-ready");
  });

  it("schedules a program, finds it on the week calendar and is shown a clash", async () => {
    await login(broadcaster);
    const tabs = await page.locator("#nav a").allTextContents();
    assert.ok(tabs.includes("紧急广播") && !tabs.includes("推送"), tabs.join());
    await open("programs");
    await page.click("#new-program");
    const form = page.locator("#program-form");
    await form.locator("input[name=title]").fill("早间广播");
    await choose(form.locator("select[name=clipId]"), clipTitle);
    await form.locator("select[name=rule]").selectOption("daily");
    await form.locator("input[name='schedule.daily']").fill("09:30");
    await run.screenshot(page, "program-form");
    await form.locator("button[type=submit]").click();
    await page.locator("#program-panel .msg.ok").waitFor();
    const programs = await run.api("GET", "/api/v1/programs");
    programId = programs.find((p) => p.title === "早间广播").id;
    let runs = page.locator(`#calendar .run[data-program="${programId}"]`);
    await page.waitForFunction(() => document.querySelectorAll("#calendar .run").length > 0, null, { timeout: 5000 })
      .catch(() => page.click("text=下一周")); // late on a Sunday the first run is next week
    await runs.first().waitFor();
    assert.match(await runs.first().textContent(), /09:30 早间广播/);
    await run.screenshot(page, "program-on-calendar");

    await page.click("#new-program");
    await form.locator("input[name=title]").fill("同一时间的另一个节目");
    await choose(form.locator("select[name=clipId]"), clipTitle);
    await form.locator("select[name=rule]").selectOption("daily");
    await form.locator("input[name='schedule.daily']").fill("09:30");
    await form.locator("button[type=submit]").click();
    await page.locator("#program-message .msg.error").waitFor();
    assert.match(await page.textContent("#program-message"), /冲突/);
    assert.match(await page.locator("#conflicts").textContent(), /早间广播.*每天 09:30/);
    await run.screenshot(page, "program-conflict");
  });

  it("sends a push that a resident sees arrive on /listen", async () => {
    const resident = await run.browser.newPage();
    await resident.goto("/listen");
    await resident.locator(`#village option[value="${village.code}"]`).waitFor({ state: "attached" });
    await resident.selectOption("#village", village.code);
    await resident.locator("#link", { hasText: "已连接" }).waitFor();
    await run.screenshot(resident, "listen-connected");

    await login(editor);
    await open("pushes");
    const form = page.locator("#push-form");
    await form.locator("select[name=areas]").selectOption([village.code]);
    await form.locator("input[name=title]").fill("明日停电通知");
    await form.locator("textarea[name=body]").fill("明天上午9点至11点停电检修。");
    await choose(form.locator("select[name=clipId]"), clipTitle);
    await form.locator("button[type=submit]").click();
    await page.locator("#push-online", { hasText: "1 人" }).waitFor();
    const arrived = resident.locator("#feed li", { hasText: "明日停电通知" });
    await arrived.waitFor();
    assert.match(await arrived.textContent(), /停电检修/);
    assert.equal(await arrived.locator("audio").count(), 1, "the push's audio can be played");
    await page.locator("#push-acked", { hasText: "1 人" }).waitFor();
    await run.screenshot(page, "push-report");
    await run.screenshot(resident, "listen-push-arrived");
    await resident.close();
  });

  it("refuses a broadcaster's program on another village", async () => {
    await login(broadcaster);
    await open("programs");
    await page.selectOption("#screen-programs select[name=area]", otherVillage.code);
    await page.click("#new-program");
    const form = page.locator("#program-form");
    assert.deepEqual(await form.locator("select[name=areas]").evaluate(
      (s) => [...s.selectedOptions].map((o) => o.value)), [otherVillage.code]);
    await form.locator("input[name=title]").fill("越权节目");
    await choose(form.locator("select[name=clipId]"), clipTitle);
    await form.locator("select[name=rule]").selectOption("daily");
    await form.locator("input[name='schedule.daily']").fill("11:00");
    await form.locator("button[type=submit]").click();
    const refusal = page.locator("#program-message .msg.error");
    await refusal.waitFor();
    const text = await refusal.textContent();
    assert.match(text, /无权操作/);
    assert.ok(text.includes(otherVillage.name), text);
    await run.screenshot(page, "broadcaster-refused");
    const programs = await run.api("GET", "/api/v1/programs");
    assert.ok(!programs.some((p) => p.title === "越权节目"), "nothing was stored");
  });
});
