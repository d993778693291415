// Small DOM and formatting helpers shared by every screen. No framework: the console must load
// from the jar alone on offline county networks.

/** Creates an element: h("button", {class: "primary", onclick}, "保存"). Text is never parsed as HTML. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else if (key === "class") el.className = value;
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key in el && typeof value !== "string") el[key] = value;
    else el.setAttribute(key, value === true ? "" : value);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
}

/** Replaces the children of an element. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** A labelled form field wrapping an input, select or textarea. */
export function field(label, control, hint) {
  return h("label", { class: "field", dataset: { field: control.name || "" } }, label, control,
    hint ? h("span", { class: "muted" }, hint) : null);
}

/** An option list for a select: [[value, label], ...]. */
export function options(pairs, selected) {
  return pairs.map(([value, label]) => h("option", { value, selected: value === selected }, label));
}

const STATUS_TEXT = {
  400: "输入有误",
  401: "令牌无效或已被吊销",
  403: "无权操作",
  404: "未找到",
  409: "冲突",
  413: "内容过大",
  415: "不是音频文件",
  429: "操作过于频繁，请稍后再试",
  503: "服务器繁忙，请稍后再试",
};

/**
 * A message box for an API error: a Chinese heading by status, the server's detail below it, and
 * the form field named by the server marked as invalid.
 */
export function errorBox(err, form) {
  if (form) markField(form, err.field);
  const heading = err.status ? (STATUS_TEXT[err.status] || `出错了（${err.status}）`) : "无法连接服务器";
  return h("div", { class: "msg error", role: "alert" },
    h("strong", {}, heading), err.field ? `（字段 ${err.field}）` : "",
    err.explanation ? h("span", {}, "：", err.explanation) : null,
    err.detail ? h("span", { class: "detail" }, err.detail) : null);
}

export function okBox(text) {
  return h("div", { class: "msg ok", role: "status" }, text);
}

export function infoBox(...children) {
  return h("div", { class: "msg info" }, ...children);
}

function markField(form, name) {
  form.querySelectorAll(".field.invalid").forEach((f) => f.classList.remove("invalid"));
  if (!name) return;
  const root = name.split(/[.[]/)[0];
  const el = form.querySelector(`.field[data-field="${CSS.escape(name)}"]`)
    || form.querySelector(`.field[data-field="${CSS.escape(root)}"]`);
  if (el) el.classList.add("invalid");
}

/** The county's zone: program rules default to it and every time is shown in it. */
export const ZONE = "Asia/Shanghai";

const dateTimeFormat = new Intl.DateTimeFormat("zh-CN", {
  timeZone: ZONE, month: "numeric", day: "numeric", hour: "2-digit", minute: "2-digit", hour12: false,
});
const partsFormat = new Intl.DateTimeFormat("en-CA", {
  timeZone: ZONE, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit",
  hour12: false, weekday: "short",
});

export function formatTime(iso) {
  if (!iso) return "—";
  return dateTimeFormat.format(new Date(iso));
}

/** {date: "2026-11-27", time: "08:00", weekday: "FRI"} of an instant on the county's clock. */
export function wallClock(instant) {
  const parts = Object.fromEntries(partsFormat.formatToParts(new Date(instant)).map((p) => [p.type, p.value]));
  const hour = parts.hour === "24" ? "00" : parts.hour;
  return {
    date: `${parts.year}-${parts.month}-${parts.day}`,
    time: `${hour}:${parts.minute}`,
    weekday: parts.weekday.toUpperCase().slice(0, 3),
  };
}

/** Today on the county's clock, yyyy-MM-dd. */
export function today() {
  return wallClock(Date.now()).date;
}

export function formatDuration(ms) {
  if (ms === undefined || ms === null) return "—";
  const s = Math.round(ms / 1000);
  return s >= 60 ? `${Math.floor(s / 60)}分${String(s % 60).padStart(2, "0")}秒` : `${s}秒`;
}

export function formatLufs(value) {
  return typeof value === "number" ? `${value.toFixed(1)} LUFS` : "—";
}

/** Runs fn now and every ms while the element stays in the page; returns a stop function. */
export function every(ms, el, fn) {
  let timer = null;
  const tick = async () => {
    if (!el.isConnected) return;
    try { await fn(); } finally { if (el.isConnected) timer = setTimeout(tick, ms); }
  };
  // First run once the caller has put the element in the page.
  timer = setTimeout(tick, 0);
  return () => clearTimeout(timer);
}
