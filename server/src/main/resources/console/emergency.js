// 紧急广播: choose areas and a clip, confirm, and watch the terminals there switch to it.
import { api, areaName } from "./api.js";
import { h, fill, field, errorBox, okBox, infoBox, formatTime, every } from "./ui.js";
import { areaSelect, clipSelect, selectedValues } from "./pickers.js";
import { refreshBoard } from "./terminals.js";

const STATUS = { playing: "正在播出", finished: "已播完", cancelled: "已解除" };

export async function render(root, session) {
  const title = h("input", { name: "title", required: true, maxlength: 200, placeholder: "如：台风紧急预警" });
  const areas = areaSelect("areas", session, { multiple: true, selected: session.areas });
  const clip = await clipSelect("clipId");
  const message = h("div");
  const live = h("div", { id: "emergency-live" });
  const form = h("form", { class: "card", id: "emergency-form" }, h("h2", {}, "紧急广播"),
    infoBox("紧急广播立即播出，打断所选地区所有正在播放的节目，直到播完或解除。"),
    field("标题", title), field("地区（可多选）", areas), field("音频", clip),
    message, h("button", { class: "danger", type: "submit" }, "播出…"));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const body = { title: title.value.trim(), areas: selectedValues(areas), clipId: clip.value };
    const where = body.areas.map(areaName).join("、") || "（未选地区）";
    fill(message, h("div", { class: "msg error", id: "emergency-confirm" },
      h("p", {}, `确认立即在 ${where} 播出《${clip.selectedOptions[0]?.textContent || ""}》？`),
      h("div", { class: "row" },
        h("button", { class: "danger", type: "button", onclick: () => start(body) }, "确认播出"),
        h("button", { type: "button", onclick: () => fill(message) }, "取消"))));
  });
  const start = async (body) => {
    try {
      const em = await api("POST", "/api/v1/emergency", body);
      fill(message, okBox(`紧急广播已播出：${em.title}`));
      watch(live, em);
    } catch (err) {
      fill(message, errorBox(err, form));
    }
  };
  root.append(form, live);
}

/** The emergency's status and the board of its areas' terminals, refreshed every 2 seconds. */
function watch(live, em) {
  const status = h("dl", { class: "kv" });
  const board = h("div", { class: "board", id: "emergency-terminals" });
  const message = h("div");
  const stop = h("button", { class: "primary", type: "button", onclick: async () => {
    try {
      await api("DELETE", `/api/v1/emergency/${encodeURIComponent(em.id)}`);
    } catch (err) {
      fill(message, errorBox(err));
    }
  } }, "解除紧急广播");
  fill(live, h("section", { class: "card", id: "emergency-status" }, h("h2", {}, em.title), status, message, stop,
    h("h3", {}, "这些地区的终端"), board));
  every(2000, board, async () => {
    const now = await api("GET", `/api/v1/emergency/${encodeURIComponent(em.id)}`).catch(() => em);
    stop.disabled = now.status !== "playing";
    fill(status,
      h("dt", {}, "状态"), h("dd", { dataset: { status: now.status } }, STATUS[now.status] || now.status),
      h("dt", {}, "地区"), h("dd", {}, now.areas.map(areaName).join("、")),
      h("dt", {}, "开始"), h("dd", {}, formatTime(now.startedAt)),
      h("dt", {}, "结束"), h("dd", {}, formatTime(now.cancelledAt || now.endsAt)),
      h("dt", {}, "终端"), h("dd", {}, `应收 ${now.terminalsTargeted} 台，在线收到 ${now.terminalsReached} 台`));
    await refreshBoard(board, null, now.areas);
  });
}
