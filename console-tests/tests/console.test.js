// The console in a real browser against a real server: log in, upload a clip and watch it reach
// ready, schedule a program and find it on the calendar (and a clash refused), edit it in place,
// send a push and see it arrive on /listen, a broadcaster refused on another village, write,
// approve and withdraw items, prepare a village's bulletin and read it, see a reference terminal
// online on the board, switch it to an emergency and back, page through the clip library, and find
// a change made in the console on the admin's 操作日志 (audit log) with its CSV download.
// Screenshots of every step go to screenshots/.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { ADMIN, startAll, sineWav } from "./harness.js";

describe("web console", () => {
  let run;
  let page;
  let village;
  let otherVillage;
  let editor;
  let broadcaster;
  let plainBroadcaster;
  let clipTitle;
  let programId;
  let alarmClip;
  let terminalName;
  const ALARM_TITLE = "台风预警录音";

  /** Uploads a file as the admin (raw body); resolves with the clip. */
  async function uploadFile(file, title) {
    const res = await fetch(`${run.base}/api/v1/clips?title=${encodeURIComponent(title)}`, {
      method: "POST", headers: { Authorization: `Bearer ${ADMIN}` }, body: fs.readFileSync(file),
    });
    assert.equal(res.status, 202, await res.clone().text());
    return res.json();
  }

  /** Polls a clip until it is no longer processing; resolves with it. */
  async function settled(id) {
    for (let i = 0; i < 240; i++) {
      const clip = await run.api("GET", `/api/v1/clips/${id}`);
      if (clip.status !== "processing") return clip;
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`clip ${id} still processing`);
  }

  before(async () => {
    run = await startAll();
    const county = await run.api("GET", "/api/v1/areas");
    const town = county.children[0];
    [village, otherVillage] = town.children;
    editor = (await run.api("POST", "/api/v1/tokens", { role: "editor", name: "县台编辑", areas: [county.code] })).token;
    broadcaster = (await run.api("POST", "/api/v1/tokens",
      { role: "broadcaster", name: `${village.name}广播员`, areas: [village.code], permissions: ["emergency"] })).token;
    plainBroadcaster = (await run.api("POST", "/api/v1/tokens",
      { role: "broadcaster", name: `${otherVillage.name}广播员`, areas: [otherVillage.code] })).token;
    page = await run.browser.newPage();
    page.on("pageerror", (e) => console.error("page error:", e.message));
    // Long enough to be seen playing on the board; processed while the first tests run.
    const wav = sineWav(path.join(fs.mkdtempSync(path.join(os.tmpdir(), "wav-")), "alarm.wav"), 20, 660);
    alarmClip = await uploadFile(wav, ALARM_TITLE);
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
    const value = await select.evaluate((s, t) => [...s.options].find((o) => o.text.includes(t))?.value ?? null, text);
    assert.ok(value !== null, `no option with "${text}"`);
    await select.selectOption(value);
  }

  /** Fills the program form: a title, the uploaded clip, every day at a time. */
  async function fillProgram(form, title, time) {
    await form.locator("input[name=title]").fill(title);
    await choose(form.locator("select[name=clipId]"), clipTitle);
    await form.locator("select[name=rule]").selectOption("daily");
    await form.locator("input[name='schedule.daily']").fill(time);
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

    await login(plainBroadcaster);
    const plainTabs = await page.locator("#nav a").allTextContents();
    assert.ok(plainTabs.includes("节目单"), plainTabs.join());
    assert.ok(!plainTabs.includes("紧急广播"), "a broadcaster without the emergency permission has no emergency screen");
    await login(editor); // the tests below go on as the editor
  });

  it("uploads a clip with progress and follows it to ready", async () => {
    await login(editor); // the test before ends as a broadcaster, who may not upload
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

  it("refuses a picture picked by mistake and says so in Chinese", async () => {
    await open("clips");
    const png = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "png-")), "photo.mp3");
    fs.writeFileSync(png, Buffer.from("89504e470d0a1a0a0000000d49484452", "hex"));
    await page.setInputFiles("#upload input[type=file]", png);
    await page.fill("#upload input[name=title]", "误选的照片");
    await page.click("#upload button[type=submit]");
    const alert = page.locator("#upload .msg.error");
    await alert.waitFor();
    assert.match(await alert.textContent(), /不是音频文件.*所选文件是图片/);
    await run.screenshot(page, "upload-not-audio");
    assert.equal(await page.locator("#clip-list li.clip", { hasText: "误选的照片" }).count(), 0);
  });

  it("schedules a program, finds it on the week calendar and is shown a clash", async () => {
    await login(broadcaster);
    const tabs = await page.locator("#nav a").allTextContents();
    assert.ok(tabs.includes("紧急广播") && !tabs.includes("推送"), tabs.join());
    await open("programs");
    await page.click("#new-program");
    const form = page.locator("#program-form");
    await fillProgram(form, "早间广播", "09:30");
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
    await fillProgram(form, "同一时间的另一个节目", "09:30");
    await form.locator("button[type=submit]").click();
    await page.locator("#program-message .msg.error").waitFor();
    assert.match(await page.textContent("#program-message"), /冲突/);
    assert.match(await page.locator("#conflicts").textContent(), /早间广播.*每天 09:30/);
    await run.screenshot(page, "program-conflict");

    // Edited in place: the same program (same id) moves to 10:15.
    await page.click(`#calendar .run[data-program="${programId}"] >> nth=0`);
    await page.click("#program-detail button:has-text('编辑')");
    await form.locator("input[name=title]").fill("早间广播（改）");
    await form.locator("input[name='schedule.daily']").fill("10:15");
    await run.screenshot(page, "program-edit-form");
    await form.locator("button[type=submit]").click();
    await page.locator("#program-panel .msg.ok").waitFor();
    const after = await run.api("GET", "/api/v1/programs");
    const edited = after.find((p) => p.id === programId);
    assert.equal(edited?.schedule.daily, "10:15", JSON.stringify(after));
    assert.equal(edited.title, "早间广播（改）");
    assert.ok(edited.updatedAt, "changed in place");
    assert.equal(after.length, 1, "no second program");
    runs = page.locator(`#calendar .run[data-program="${programId}"]`);
    await runs.first().waitFor();
    assert.match(await runs.first().textContent(), /10:15 早间广播（改）/);
    await run.screenshot(page, "program-edited-on-calendar");

    // An edit made against a version someone else has changed since is refused, not lost.
    await runs.first().click();
    await page.click("#program-detail button:has-text('编辑')");
    const { id, title, clipId, areas, schedule, priority, timezone } = edited;
    await run.api("PUT", `/api/v1/programs/${id}`,
      { title: "早间广播（管理员改）", clipId, areas, schedule, priority, timezone });
    await form.locator("input[name=title]").fill("早间广播（晚了一步）");
    await form.locator("button[type=submit]").click();
    await page.locator("#program-message .msg.error").waitFor();
    assert.match(await page.textContent("#program-message"), /别人刚刚修改过/);
    await run.screenshot(page, "program-edit-stale");
    const kept = (await run.api("GET", `/api/v1/programs/${id}`)).title;
    assert.equal(kept, "早间广播（管理员改）", `title was ${title}, is now ${kept}`);
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
    await fillProgram(form, "越权节目", "11:00");
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

  it("writes items, approves one and withdraws another (稿件)", async () => {
    await login(editor);
    await open("items");
    const form = page.locator("#item-form");
    const write = async (title, body, clip) => {
      await form.locator("select[name=kind]").selectOption("notice");
      await form.locator("input[name=title]").fill(title);
      await form.locator("textarea[name=body]").fill(body);
      await form.locator("select[name=areas]").selectOption([village.code]);
      await choose(form.locator("select[name=clipId]"), clip);
      await form.locator("button[type=submit]").click();
      const row = page.locator("#item-list li", { hasText: title });
      await row.waitFor();
      assert.equal(await row.getAttribute("data-state"), "draft");
      return row;
    };
    await write("防汛通知", "今晚有大雨，请村民注意防范。", clipTitle);
    await run.screenshot(page, "item-draft");
    await page.locator("#item-list li", { hasText: "防汛通知" }).locator("button", { hasText: "审核通过" }).click();
    await page.locator("#item-list li[data-state=approved]", { hasText: "防汛通知" }).waitFor();

    await write("作废的通知", "这条通知写错了。", "不附音频");
    await page.locator("#item-list li", { hasText: "作废的通知" }).locator("button", { hasText: "审核通过" }).click();
    const wrong = page.locator("#item-list li[data-state=approved]", { hasText: "作废的通知" });
    await wrong.waitFor();
    await wrong.locator("button", { hasText: "撤回" }).click();
    const withdrawn = page.locator("#item-list li[data-state=withdrawn]", { hasText: "作废的通知" });
    await withdrawn.waitFor();
    assert.match(await withdrawn.textContent(), /已撤回/);
    assert.equal(await withdrawn.locator("button").count(), 0, "nothing more to do with it");
    const items = await run.api("GET", `/api/v1/items?date=${new Date(Date.now() + 8 * 3600000).toISOString().slice(0, 10)}`);
    assert.deepEqual(items.map((i) => [i.title, i.state]).sort(),
      [["作废的通知", "withdrawn"], ["防汛通知", "approved"]]);
    await run.screenshot(page, "items-approved-withdrawn");
  });

  it("prepares a village's bulletin and previews its text and audio (每日简报)", async () => {
    await open("bulletins");
    await page.selectOption("#screen-bulletins select[name=area]", village.code);
    await page.locator("#bulletin .msg", { hasText: "还没有生成" }).waitFor();
    await page.click("#screen-bulletins button:has-text('立即生成')");
    const card = page.locator("#bulletin section.card");
    await card.waitFor();
    const text = await card.locator("pre.text").textContent();
    assert.match(text, /防汛通知/);
    assert.match(text, /今晚有大雨/);
    assert.ok(!text.includes("作废的通知"), "a withdrawn item is not read out");
    await run.screenshot(page, "bulletin-prepared");
    const ready = page.locator("#bulletin section.card[data-status=ready]");
    await ready.waitFor({ timeout: 60000 });
    assert.ok(await ready.locator("audio").count() >= 1, "the bulletin's audio can be played");
    assert.match(await ready.textContent(), /音频时长/);
    await run.screenshot(page, "bulletin-ready");
  });

  it("shows a connected reference terminal online on the board (终端)", async () => {
    terminalName = `${village.name}1号喇叭`;
    const issued = await run.api("POST", "/api/v1/tokens", { role: "terminal", name: terminalName, areas: [village.code] });
    run.startTerminal(issued.token, "terminal");
    await login(broadcaster);
    await open("terminals");
    const card = page.locator("#terminal-board .terminal", { hasText: terminalName });
    await card.locator(".badge", { hasText: "在线" }).waitFor({ timeout: 30000 });
    assert.equal(await card.getAttribute("data-state"), "idle");
    assert.match(await card.textContent(), new RegExp(village.name));
    await run.screenshot(page, "terminal-online");
  });

  it("starts an emergency on the village, sees the terminal switch to it, then stops it (紧急广播)", async () => {
    assert.equal((await settled(alarmClip.id)).status, "ready");
    await open("emergency");
    const form = page.locator("#emergency-form");
    await form.locator("input[name=title]").fill("台风紧急预警");
    await form.locator("select[name=areas]").selectOption([village.code]);
    await choose(form.locator("select[name=clipId]"), ALARM_TITLE);
    await form.locator("button[type=submit]").click();
    await page.locator("#emergency-confirm").waitFor();
    assert.match(await page.textContent("#emergency-confirm"), new RegExp(`${village.name}.*${ALARM_TITLE}`));
    await run.screenshot(page, "emergency-confirm");
    await page.click("#emergency-confirm button:has-text('确认播出')");
    await page.locator("#emergency-status dd[data-status=playing]").waitFor();
    const terminal = page.locator("#emergency-terminals .terminal", { hasText: terminalName });
    await page.locator("#emergency-terminals .terminal[data-state=playing]", { hasText: terminalName })
      .waitFor({ timeout: 30000 });
    assert.match(await terminal.textContent(), /正在播放/);
    await run.screenshot(page, "emergency-terminal-playing");

    await page.click("#emergency-status button:has-text('解除紧急广播')");
    await page.locator("#emergency-status dd[data-status=cancelled]").waitFor();
    await page.locator("#emergency-terminals .terminal[data-state=idle]", { hasText: terminalName })
      .waitFor({ timeout: 30000 });
    await run.screenshot(page, "emergency-stopped");
  });

  it("pages through the clip library from the server and filters it by status (音频库)", async () => {
    // Twenty-one uploads that are not audio: they fail at once, newer than every clip before.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "junk-"));
    const junk = [];
    for (let i = 0; i < 21; i++) {
      const file = path.join(dir, `junk-${i}.mp3`);
      fs.writeFileSync(file, `not audio ${i}`);
      junk.push(await uploadFile(file, `坏文件${i}`));
    }
    for (const c of junk) assert.equal((await settled(c.id)).status, "failed");
    const all = [];
    for (let cursor = null, first = true; first || cursor; first = false) {
      const page = await run.api("GET", `/api/v1/clips?limit=200${cursor ? `&cursor=${cursor}` : ""}`);
      all.push(...page.clips);
      cursor = page.nextCursor;
    }
    await login(editor);
    await open("clips");
    const items = page.locator("#clip-list li.clip");
    await items.first().waitFor();
    assert.equal(await items.count(), 20, "one page");
    assert.equal(await items.first().getAttribute("data-clip"), junk[20].id, "newest first");
    assert.ok(await page.locator("#more-clips").isVisible());
    await run.screenshot(page, "clips-first-page");
    await page.click("#more-clips");
    await page.waitForFunction((n) => document.querySelectorAll("#clip-list li.clip").length === n, all.length);
    assert.ok(await page.locator("#more-clips").isHidden(), "the last page");
    const shown = await items.evaluateAll((els) => els.map((e) => e.dataset.clip));
    assert.deepEqual(shown, all.map((c) => c.id));
    await run.screenshot(page, "clips-all-pages");

    await page.selectOption("#clip-status", "ready");
    await page.waitForFunction(() => [...document.querySelectorAll("#clip-list li.clip")]
      .every((e) => e.dataset.status === "ready") && document.querySelectorAll("#clip-list li.clip").length > 0);
    const ready = await items.evaluateAll((els) => els.map((e) => e.textContent));
    assert.ok(ready.some((t) => t.includes(ALARM_TITLE)) && ready.some((t) => t.includes(clipTitle)), ready.join());
    assert.ok(!ready.some((t) => t.includes("坏文件")));
    await run.screenshot(page, "clips-ready-only");
  });

  it("finds a change made in the console on 操作日志 and downloads it as CSV (操作日志)", async () => {
    await login(editor);
    assert.ok(!(await page.locator("#nav a").allTextContents()).includes("操作日志"), "only admins see the log");
    await login(ADMIN);
    await open("pushes");
    const form = page.locator("#push-form");
    await form.locator("select[name=areas]").selectOption([village.code]);
    await form.locator("input[name=title]").fill("审计测试通知");
    await form.locator("button[type=submit]").click();
    const report = page.locator("#push-report [data-push]");
    await report.waitFor();
    const pushId = await report.getAttribute("data-push");

    await open("audit");
    const row = page.locator("#audit-entries tr", { hasText: pushId });
    await row.waitFor();
    assert.match(await row.textContent(), /\/api\/v1\/pushes/);
    assert.equal(await row.getAttribute("data-status"), "202");
    assert.ok(await page.locator('#audit-entries tr[data-status="403"]').count() >= 1,
      "the broadcaster refused on another village is in the log too");
    await run.screenshot(page, "audit-log");

    await page.fill("#audit-form input[name=target]", pushId);
    await page.click("#audit-form button[type=submit]");
    await page.waitForFunction(() => document.querySelectorAll("#audit-entries tbody tr").length === 1);
    await run.screenshot(page, "audit-log-one-target");

    const asked = [];
    page.on("request", (r) => { if (r.url().includes("/api/v1/audit")) asked.push(r); });
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#audit-csv")]);
    const csv = fs.readFileSync(await download.path(), "utf8");
    const lines = csv.trim().split("\r\n");
    assert.equal(lines[0], "id,at,actorId,actorName,actorRole,address,method,route,path,target,status,detail");
    assert.equal(lines.length, 2, csv);
    assert.match(lines[1], new RegExp(`,POST,/api/v1/pushes,/api/v1/pushes,${pushId},202,`));
    const fetched = asked.find((r) => r.url().includes("format=csv"));
    assert.ok(fetched, "the CSV was fetched");
    assert.ok(!fetched.url().includes(ADMIN), "no token in the URL");
    assert.equal((await fetched.allHeaders()).authorization, `Bearer ${ADMIN}`);
  });
});
