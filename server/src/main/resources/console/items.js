// 稿件: the items of a day, written by editors for their areas, approved or withdrawn.
import { api, areaName } from "./api.js";
import { h, fill, field, options, errorBox, okBox, today, formatTime } from "./ui.js";
import { areaSelect, clipSelect, selectedValues } from "./pickers.js";

const KINDS = [["notice", "通知"], ["news", "新闻"], ["policy", "政策"]];
const STATES = { draft: ["草稿", ""], approved: ["已审核", "ok"], withdrawn: ["已撤回", "bad"] };

export async function render(root, session) {
  const date = h("input", { type: "date", name: "date", value: today() });
  const list = h("ul", { class: "list", id: "item-list" });
  const reload = async () => {
    const items = await api("GET", `/api/v1/items?date=${date.value}`);
    fill(list, items.length ? items.map((i) => itemRow(i, session, reload)) : h("li", { class: "muted" }, "这一天还没有稿件。"));
  };
  date.addEventListener("change", reload);
  if (session.can("items")) root.append(await itemForm(session, date, reload));
  root.append(h("section", { class: "card" }, h("h2", {}, "稿件列表"), field("日期", date), list));
  await reload();
}

async function itemForm(session, date, reload) {
  const kind = h("select", { name: "kind" }, options(KINDS, "notice"));
  const title = h("input", { name: "title", required: true, maxlength: 200 });
  const body = h("textarea", { name: "body", required: true });
  const areas = areaSelect("areas", session, { multiple: true, selected: session.areas });
  const clip = await clipSelect("clipId", { optional: true });
  const message = h("div");
  const form = h("form", { class: "card", id: "item-form" }, h("h2", {}, "写稿"),
    h("div", { class: "row" }, field("类别", kind), field("标题", title)),
    field("正文", body),
    field("地区（可多选）", areas),
    field("播报音频（可选，会编入每日简报）", clip),
    message,
    h("button", { class: "primary", type: "submit" }, "保存草稿"));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      const item = await api("POST", "/api/v1/items", {
        kind: kind.value, title: title.value.trim(), body: body.value.trim(),
        areas: selectedValues(areas), date: date.value, clipId: clip.value || null,
      });
      fill(message, okBox(`《${item.title}》已保存为草稿，审核后进入 ${item.date} 的每日简报。`));
      title.value = "";
      body.value = "";
      await reload();
    } catch (err) {
      fill(message, errorBox(err, form));
    }
  });
  return form;
}

function itemRow(item, session, reload) {
  const [label, tone] = STATES[item.state] || [item.state, ""];
  const message = h("div");
  const act = (verb, text) => h("button", { type: "button", onclick: async () => {
    try {
      await api("POST", `/api/v1/items/${encodeURIComponent(item.id)}/${verb}`);
      await reload();
    } catch (err) {
      fill(message, errorBox(err));
    }
  } }, text);
  return h("li", { dataset: { item: item.id, state: item.state } },
    h("div", {}, h("strong", {}, item.title), h("span", { class: `badge ${tone}` }, label),
      h("span", { class: "badge" }, (KINDS.find(([k]) => k === item.kind) || [, item.kind])[1])),
    h("p", { class: "body" }, item.body),
    h("p", { class: "muted" }, `地区：${item.areas.map(areaName).join("、")}`,
      item.clipId ? ` · 音频 ${item.clipId}` : "", item.approvedAt ? ` · 审核于 ${formatTime(item.approvedAt)}` : ""),
    session.can("items") ? h("div", { class: "row" },
      item.state === "draft" ? act("approve", "审核通过") : null,
      item.state !== "withdrawn" ? act("withdraw", "撤回") : null) : null,
    message);
}
