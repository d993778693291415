// 操作日志: the audit log (admins only). A day's changes, newest first, filtered by the token that
// made them or the thing they touched, and the same as CSV: fetched with the token in the
// Authorization header (never in a URL) and handed to the browser as a file.
import { api, fetchBlob } from "./api.js";
import { h, fill, field, errorBox, today, ZONE } from "./ui.js";

const METHODS = { POST: "新建/执行", PUT: "修改", PATCH: "修改", DELETE: "删除" };
const ROLES = { admin: "管理员", editor: "编辑", broadcaster: "广播员", terminal: "终端" };

const timeFormat = new Intl.DateTimeFormat("zh-CN", {
  timeZone: ZONE, hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false,
});

export async function render(root) {
  const day = h("input", { type: "date", name: "day", value: today(), required: true });
  const actor = h("input", { name: "actor", placeholder: "令牌 ID，留空为全部" });
  const target = h("input", { name: "target", placeholder: "节目、稿件、音频等的 ID" });
  const message = h("div");
  const table = h("div", { id: "audit-entries" });
  const csv = h("button", { type: "button", class: "link", id: "audit-csv" }, "下载 CSV");
  const form = h("form", { class: "card", id: "audit-form" }, h("h2", {}, "操作日志"),
    h("p", { class: "muted" }, "每一次新建、修改、删除操作都记录在这里（被拒绝的也记录）：时间、操作者、地址、操作和结果。不记录请求内容和令牌。"),
    h("div", { class: "row" }, field("日期", day), field("操作者", actor), field("对象", target)),
    message,
    h("div", { class: "row" }, h("button", { class: "primary", type: "submit" }, "查询"), csv));

  const query = (extra = {}) => {
    const q = new URLSearchParams({ day: day.value || today(), limit: "200", ...extra });
    if (actor.value.trim()) q.set("actor", actor.value.trim());
    if (target.value.trim()) q.set("target", target.value.trim());
    return q;
  };
  const load = async () => {
    try {
      const entries = await api("GET", `/api/v1/audit?${query()}`);
      fill(message);
      fill(table, entries.length ? entriesTable(entries) : h("p", { class: "muted" }, "这一天没有符合条件的操作。"));
    } catch (err) {
      fill(message, errorBox(err, form));
    }
  };
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    load();
  });
  csv.addEventListener("click", async () => {
    try {
      const blob = await fetchBlob(`/api/v1/audit?${query({ format: "csv" })}`);
      const url = URL.createObjectURL(blob);
      const a = h("a", { href: url, download: `操作日志-${day.value}.csv`, hidden: true });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
      fill(message);
    } catch (err) {
      fill(message, errorBox(err, form));
    }
  });
  root.append(form, h("section", { class: "card" }, table));
  await load();
}

function entriesTable(entries) {
  return h("table", { class: "log" },
    h("thead", {}, h("tr", {}, ["时间", "操作者", "地址", "操作", "对象", "结果"].map((t) => h("th", {}, t)))),
    h("tbody", {}, entries.map((e) => h("tr", { dataset: { entry: e.id, status: String(e.status) } },
      h("td", {}, timeFormat.format(new Date(e.at))),
      h("td", {}, e.actorId ? [e.actorName, h("div", { class: "muted" }, `${ROLES[e.actorRole] || e.actorRole} · ${e.actorId}`)]
        : h("span", { class: "muted" }, "（无有效令牌）")),
      h("td", {}, e.address),
      h("td", {}, `${METHODS[e.method] || e.method} `, h("code", {}, e.path)),
      h("td", {}, e.target ? h("code", {}, e.target) : "—"),
      h("td", { class: e.status >= 400 ? "bad" : "ok" }, String(e.status),
        e.detail ? h("div", { class: "muted" }, e.detail) : null)))));
}
