// 每日简报: a village's bulletin for a day as residents and loudspeakers get it: text and audio.
import { api, areaChoices } from "./api.js";
import { h, fill, field, options, errorBox, infoBox, today, formatDuration, formatTime } from "./ui.js";

const STATUS = { preparing: "正在生成音频", ready: "已就绪", failed: "音频生成失败（文字仍可用）" };

export async function render(root, session) {
  const date = h("input", { type: "date", name: "date", value: today() });
  const villages = areaChoices(session.role === "admin" ? null : session.areas)
    .filter(([code]) => code.length === 12).map(([code, name]) => [code, name.trim()]);
  const area = h("select", { name: "area" }, options(villages, villages[0]?.[0]));
  const out = h("div", { id: "bulletin" });
  let timer = null;
  const show = async () => {
    clearTimeout(timer);
    try {
      const b = await api("GET", `/api/v1/bulletins/${date.value}/${area.value}`);
      fill(out, bulletinCard(b));
      if (b.status === "preparing") timer = setTimeout(() => out.isConnected && show(), 2000);
    } catch (err) {
      fill(out, err.status === 404
        ? infoBox("这一天的简报还没有生成。", session.can("bulletins") ? "可以点“立即生成”。" : "每天早上会自动生成。")
        : errorBox(err));
    }
  };
  const prepare = async () => {
    try {
      await api("POST", "/api/v1/bulletins", { date: date.value, area: area.value });
      await show();
    } catch (err) {
      fill(out, errorBox(err));
    }
  };
  date.addEventListener("change", show);
  area.addEventListener("change", show);
  root.append(h("section", { class: "card" }, h("h2", {}, "每日简报"),
    h("div", { class: "row" }, field("日期", date), field("村", area),
      h("button", { type: "button", onclick: show }, "查看"),
      session.can("bulletins") ? h("button", { class: "primary", type: "button", onclick: prepare }, "立即生成") : null)),
  out);
  if (villages.length) await show();
}

function bulletinCard(b) {
  return h("section", { class: "card", dataset: { status: b.status } },
    h("h2", {}, b.title || `${b.date} 每日简报`), h("span", { class: "badge" }, STATUS[b.status] || b.status),
    h("p", { class: "muted" }, `生成于 ${formatTime(b.preparedAt)}`),
    h("pre", { class: "text" }, b.text || "（没有已审核的稿件）"),
    b.items?.length ? h("ol", {}, b.items.map((i) => h("li", {}, i.title))) : null,
    b.audio ? [
      h("p", {}, `音频时长 ${formatDuration(b.audio.durationMs)}`),
      h("div", {}, h("span", { class: "muted" }, "手机版"), h("audio", { controls: true, preload: "none", src: b.audio.url })),
      b.audio.loudspeakerUrl ? h("div", {}, h("span", { class: "muted" }, "喇叭版"),
        h("audio", { controls: true, preload: "none", src: b.audio.loudspeakerUrl })) : null,
    ] : null,
    b.error ? h("p", { class: "muted" }, b.error) : null);
}
