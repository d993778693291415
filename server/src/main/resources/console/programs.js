// 节目单: a week calendar of the programs reaching one area, and the program form with its rule
// picker (once, daily, weekly, cron). Conflicts (409) are listed in the form by program.
import { api, areaName, overlaps } from "./api.js";
import { h, fill, field, options, errorBox, okBox, infoBox, wallClock, today, ZONE, formatTime } from "./ui.js";
import { areaSelect, clipSelect, selectedValues } from "./pickers.js";

const DAYS = ["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"];
const DAY_NAMES = { MON: "一", TUE: "二", WED: "三", THU: "四", FRI: "五", SAT: "六", SUN: "日" };
const PRIORITIES = [["normal", "普通"], ["high", "重要（优先播出）"]];

export async function render(root, session) {
  const state = { area: session.areas[0], monday: mondayOf(today()), programs: [] };
  const area = areaSelect("area", session, { selected: [state.area] });
  const label = h("strong", { id: "week-label" });
  const calendar = h("div", { class: "calendar", id: "calendar" });
  const side = h("div", { id: "program-panel" });
  const shift = (days) => { state.monday = addDays(state.monday, days); draw(); };
  const draw = () => {
    fill(label, `${state.monday} 至 ${addDays(state.monday, 6)}`);
    drawWeek(calendar, state, (p) => showProgram(side, p, session, reload));
  };
  const reload = async () => {
    state.programs = await api("GET", "/api/v1/programs");
    draw();
  };
  area.addEventListener("change", () => { state.area = area.value; draw(); });
  root.append(
    h("section", { class: "card" }, h("h2", {}, "节目单"),
      h("div", { class: "row" }, field("地区", area),
        h("button", { type: "button", onclick: () => shift(-7) }, "上一周"),
        h("button", { type: "button", onclick: () => { state.monday = mondayOf(today()); draw(); } }, "本周"),
        h("button", { type: "button", onclick: () => shift(7) }, "下一周"),
        session.can("programs")
          ? h("button", { class: "primary", type: "button", id: "new-program",
            onclick: () => showForm(side, session, { areas: [state.area] }, reload) }, "新建节目")
          : null),
      h("p", {}, "本周：", label),
      calendar),
    side);
  await reload();
}

/** Draws the seven days of the week with each run of the programs reaching the chosen area. */
function drawWeek(calendar, state, open) {
  const days = DAYS.map((_, i) => addDays(state.monday, i));
  const runs = new Map(days.map((d) => [d, []]));
  const from = Date.parse(`${days[0]}T00:00:00Z`) - 86400000;
  const to = Date.parse(`${days[6]}T00:00:00Z`) + 2 * 86400000;
  for (const p of state.programs) {
    if (!p.areas.some((a) => overlaps(a, state.area))) continue;
    for (const at of runsOf(p, from, to)) {
      const wall = wallClock(at);
      if (runs.has(wall.date)) runs.get(wall.date).push({ at, time: wall.time, p });
    }
  }
  const now = Date.now();
  fill(calendar, days.map((d, i) => h("div", { class: `day${d === today() ? " today" : ""}`, dataset: { date: d } },
    h("h4", {}, `周${DAY_NAMES[DAYS[i]]} ${d.slice(5)}`),
    runs.get(d).sort((a, b) => a.at - b.at).map((r) => h("button", {
      type: "button", class: `run ${r.p.priority}${r.at < now ? " past" : ""}`,
      dataset: { program: r.p.id }, onclick: () => open(r.p),
    }, `${r.time} ${r.p.title}`)),
    runs.get(d).length ? null : h("span", { class: "muted" }, "无节目"))));
}

/**
 * Start instants (ms) of a program between two instants. Once, daily and weekly rules are
 * expanded here, in the program's own zone; a cron rule shows the next runs the server lists.
 */
function runsOf(p, from, to) {
  const s = p.schedule;
  const created = Date.parse(p.createdAt);
  const zone = p.timezone || ZONE;
  let out = [];
  if (s.once) out = [Date.parse(s.once)];
  else if (s.cron) out = (p.nextRuns || []).map((r) => Date.parse(r));
  else {
    const time = s.daily || s.weekly.time;
    for (let t = from; t < to; t += 86400000) {
      const day = new Date(t).toISOString().slice(0, 10);
      const weekday = DAYS[(new Date(t).getUTCDay() + 6) % 7];
      if (s.weekly && !s.weekly.days.includes(weekday)) continue;
      if (p.startDate && day < p.startDate) continue;
      if (p.endDate && day > p.endDate) continue;
      out.push(instantOf(day, time, zone));
    }
  }
  return out.filter((at) => at >= from && at < to && (s.cron || s.once || at >= created));
}

/** The instant a wall-clock date and time has in a zone (no DST gaps in China's zone). */
function instantOf(date, time, zone) {
  const guess = Date.parse(`${date}T${time}:00Z`);
  return guess - offsetMs(guess, zone);
}

function offsetMs(at, zone) {
  const name = new Intl.DateTimeFormat("en-US", { timeZone: zone, timeZoneName: "longOffset" })
    .formatToParts(at).find((x) => x.type === "timeZoneName").value;
  const m = name.match(/GMT([+-])(\d{2}):(\d{2})/);
  return m ? (m[1] === "-" ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) * 60000 : 0;
}

function offsetText(at, zone) {
  const ms = offsetMs(at, zone);
  const min = Math.abs(ms) / 60000;
  return `${ms < 0 ? "-" : "+"}${String(Math.floor(min / 60)).padStart(2, "0")}:${String(min % 60).padStart(2, "0")}`;
}

function mondayOf(date) {
  const d = new Date(`${date}T00:00:00Z`);
  return addDays(date, -((d.getUTCDay() + 6) % 7));
}

function addDays(date, n) {
  return new Date(Date.parse(`${date}T00:00:00Z`) + n * 86400000).toISOString().slice(0, 10);
}

export function describeRule(s) {
  if (s.once) return `一次：${formatTime(s.once)}`;
  if (s.daily) return `每天 ${s.daily}`;
  if (s.weekly) return `每周${s.weekly.days.map((d) => DAY_NAMES[d]).join("、")} ${s.weekly.time}`;
  return `定时表达式：${s.cron}`;
}

function showProgram(panel, p, session, reload) {
  const message = h("div");
  const card = h("section", { class: "card", id: "program-detail" }, h("h2", {}, p.title),
    h("dl", { class: "kv" },
      h("dt", {}, "播出规则"), h("dd", {}, describeRule(p.schedule)),
      h("dt", {}, "地区"), h("dd", {}, p.areas.map(areaName).join("、")),
      h("dt", {}, "内容"), h("dd", {}, p.source === "bulletin" ? "当天的每日简报" : `音频 ${p.clipId}`),
      h("dt", {}, "优先级"), h("dd", {}, p.priority === "high" ? "重要" : "普通"),
      h("dt", {}, "接下来"), h("dd", {}, (p.nextRuns || []).map(formatTime).join("，") || "无")),
    message);
  if (session.can("programs")) {
    card.append(h("div", { class: "row" },
      h("button", { type: "button", onclick: () => showForm(panel, session, p, reload) }, "编辑"),
      h("button", { type: "button", class: "danger", onclick: async () => {
        if (!confirm(`确定删除节目《${p.title}》吗？`)) return;
        try {
          await api("DELETE", `/api/v1/programs/${encodeURIComponent(p.id)}`);
          fill(panel, okBox(`节目《${p.title}》已删除`));
          await reload();
        } catch (err) {
          fill(message, errorBox(err));
        }
      } }, "删除")));
  }
  fill(panel, card);
  card.scrollIntoView({ block: "nearest" });
}

/** The program form; with {p.id} it edits that program in place (PUT, same id). */
async function showForm(panel, session, p, reload) {
  const s = p.schedule || { daily: "07:00" };
  const kind = s.once ? "once" : s.weekly ? "weekly" : s.cron ? "cron" : "daily";
  const title = h("input", { name: "title", required: true, maxlength: 200, value: p.title || "" });
  const clip = await clipSelect("clipId", { selected: p.clipId });
  const bulletin = h("input", { type: "checkbox", name: "source", checked: p.source === "bulletin" });
  const areas = areaSelect("areas", session, { multiple: true, selected: p.areas || [] });
  const priority = h("select", { name: "priority" }, options(PRIORITIES, p.priority || "normal"));
  const ruleKind = h("select", { name: "rule" }, options(
    [["once", "一次"], ["daily", "每天"], ["weekly", "每周"], ["cron", "定时表达式（cron）"]], kind));
  const onceAt = h("input", { type: "datetime-local", name: "schedule.once",
    value: s.once ? toLocalInput(s.once) : "" });
  const dailyAt = h("input", { type: "time", name: "schedule.daily", value: s.daily || "07:00" });
  const weeklyAt = h("input", { type: "time", name: "schedule.weekly.time", value: s.weekly?.time || "18:30" });
  const weekDays = DAYS.map((d) => h("label", {},
    h("input", { type: "checkbox", value: d, checked: s.weekly?.days.includes(d) }), ` 周${DAY_NAMES[d]}`));
  const cron = h("input", { name: "schedule.cron", value: s.cron || "0 0 12 ? * MON-FRI",
    placeholder: "秒 分 时 日 月 周，如 0 30 7 ? * MON-FRI" });
  const startDate = h("input", { type: "date", name: "startDate", value: p.startDate || "" });
  const endDate = h("input", { type: "date", name: "endDate", value: p.endDate || "" });
  const rules = {
    once: field("播出时间", onceAt),
    daily: field("每天几点", dailyAt),
    weekly: h("div", { class: "field", dataset: { field: "schedule" } }, "每周哪几天",
      h("div", { class: "checks" }, weekDays), field("几点", weeklyAt)),
    cron: field("cron 表达式", cron, "Quartz 格式，秒在最前。"),
  };
  const ruleBox = h("div");
  const showRule = () => fill(ruleBox, rules[ruleKind.value]);
  ruleKind.addEventListener("change", showRule);
  showRule();
  const message = h("div", { id: "program-message" });
  const form = h("form", { class: "card", id: "program-form" },
    h("h2", {}, p.id ? `编辑节目《${p.title}》` : "新建节目"),
    field("标题", title),
    field("音频", clip),
    h("label", { class: "checks" }, bulletin, " 播放当天的每日简报（不用上面的音频）"),
    field("地区（可多选）", areas),
    h("div", { class: "row" }, field("优先级", priority), field("播出规则", ruleKind)),
    ruleBox,
    h("div", { class: "row" }, field("开始日期（可空）", startDate), field("结束日期（可空）", endDate)),
    message,
    h("div", { class: "row" }, h("button", { class: "primary", type: "submit" }, "保存"),
      h("button", { type: "button", onclick: () => fill(panel) }, "取消")));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const schedule = {
      once: () => ({ once: fromLocalInput(onceAt.value) }),
      daily: () => ({ daily: dailyAt.value }),
      weekly: () => ({ weekly: { days: weekDays.map((l) => l.firstChild).filter((c) => c.checked).map((c) => c.value),
        time: weeklyAt.value } }),
      cron: () => ({ cron: cron.value.trim() }),
    }[ruleKind.value]();
    const body = {
      title: title.value.trim(),
      areas: selectedValues(areas),
      priority: priority.value,
      schedule,
      startDate: startDate.value || null,
      endDate: endDate.value || null,
      ...(bulletin.checked ? { source: "bulletin" } : { clipId: clip.value || null }),
    };
    fill(message);
    try {
      const saved = await save(p, body);
      fill(panel, okBox(`节目《${saved.title}》已保存，下次播出：${formatTime(saved.nextRuns?.[0])}`));
      await reload();
    } catch (err) {
      fill(message, errorBox(err, form), await conflictList(err));
    }
  });
  fill(panel, form);
  form.scrollIntoView({ block: "nearest" });
}

/**
 * Creates the program, or changes it in place: the server checks an edit like a new program (but
 * never against itself), and a refused edit changes nothing.
 */
function save(old, body) {
  if (!old.id) return api("POST", "/api/v1/programs", body);
  // The version shown when the form opened: an edit made meanwhile elsewhere is a 412, not lost.
  const ifMatch = old.version ? { "If-Match": `"${old.version}"` } : {};
  return api("PUT", `/api/v1/programs/${encodeURIComponent(old.id)}`, body, ifMatch);
}

/** For a 409: the programs it clashes with, by title and rule. */
async function conflictList(err) {
  if (err.status !== 409 || !err.conflicts.length) return null;
  const found = await Promise.all(err.conflicts.map((id) =>
    api("GET", `/api/v1/programs/${encodeURIComponent(id)}`).catch(() => ({ id, title: id, schedule: null }))));
  return infoBox("与这些节目冲突：", h("ul", { id: "conflicts" }, found.map((c) =>
    h("li", { dataset: { program: c.id } }, `《${c.title}》 ${c.schedule ? describeRule(c.schedule) : ""}`))));
}

function toLocalInput(iso) {
  const w = wallClock(Date.parse(iso));
  return `${w.date}T${w.time}`;
}

function fromLocalInput(value) {
  if (!value) return null;
  const guess = Date.parse(`${value}:00Z`);
  return `${value}:00${offsetText(guess, ZONE)}`;
}
