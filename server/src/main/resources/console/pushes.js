// 推送: send a push to residents of some areas and watch its delivery report.
import { api } from "./api.js";
import { h, fill, field, options, errorBox, formatTime, every } from "./ui.js";
import { areaSelect, clipSelect, selectedValues } from "./pickers.js";

const KINDS = [["notice", "通知"], ["news", "新闻"], ["policy", "政策"]];

export async function render(root, session) {
  const areas = areaSelect("areas", session, { multiple: true, selected: session.areas });
  const kind = h("select", { name: "kind" }, options(KINDS, "notice"));
  const title = h("input", { name: "title", required: true, maxlength: 200 });
  const body = h("textarea", { name: "body" });
  const clip = await clipSelect("clipId", { optional: true });
  const message = h("div");
  const report = h("div", { id: "push-report" });
  const form = h("form", { class: "card", id: "push-form" }, h("h2", {}, "发送推送"),
    field("地区（可多选，发到县或镇时其下所有村都会收到）", areas),
    h("div", { class: "row" }, field("类别", kind), field("标题", title)),
    field("内容", body), field("音频（可选）", clip),
    message, h("button", { class: "primary", type: "submit" }, "发送"));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      const sent = await api("POST", "/api/v1/pushes", {
        areas: selectedValues(areas), kind: kind.value, title: title.value.trim(),
        body: body.value.trim(), clipId: clip.value || null,
      });
      fill(message);
      watch(report, sent.id);
    } catch (err) {
      fill(message, errorBox(err, form));
    }
  });
  root.append(form, report);
}

/** The push's delivery report, refreshed every 2 seconds while it is shown. */
function watch(report, id) {
  const figures = h("dl", { class: "kv" });
  const card = h("section", { class: "card", dataset: { push: id } }, h("h2", {}, "送达情况"), figures);
  fill(report, card);
  every(2000, figures, async () => {
    try {
      const r = await api("GET", `/api/v1/pushes/${encodeURIComponent(id)}`);
      fill(figures,
        h("dt", {}, "标题"), h("dd", {}, r.title),
        h("dt", {}, "发送时间"), h("dd", {}, formatTime(r.createdAt)),
        h("dt", {}, "写入频道"), h("dd", { id: "push-written" }, `${r.messagesWritten} 个`),
        h("dt", {}, "在线送达"), h("dd", { id: "push-online" }, `${r.subscribersOnline} 人`),
        h("dt", {}, "已读确认"), h("dd", { id: "push-acked" }, `${r.acknowledged} 人`));
    } catch (err) {
      fill(figures, errorBox(err));
    }
  });
}
