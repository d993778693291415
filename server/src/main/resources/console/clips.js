// 音频库: upload with a progress bar, then follow processing live on the clip's channel; list the
// clips this browser knows with status, duration, loudness and both renditions to play.
import { api, uploadClip, followClip, loadClips, rememberClips, forgetClip } from "./api.js";
import { h, fill, field, errorBox, okBox, formatDuration, formatLufs, formatTime } from "./ui.js";

const STAGES = { queued: "排队中", analyzing: "分析音频", encoding: "转码中", done: "完成" };
const STATUS = { processing: ["处理中", "warn"], ready: ["可用", "ok"], failed: ["失败", "bad"] };

export async function render(root, session) {
  const list = h("ul", { class: "list", id: "clip-list" });
  if (session.can("clips")) root.append(uploadCard(list, session));
  root.append(h("section", { class: "card" }, h("h2", {}, "音频列表"),
    addById(list, session),
    list));
  await refresh(list, session);
}

async function refresh(list, session) {
  const clips = await loadClips();
  fill(list, clips.length ? clips.map((c) => clipItem(c, session)) : h("li", { class: "muted" }, "还没有音频。"));
}

function uploadCard(list, session) {
  const file = h("input", { type: "file", name: "file", accept: "audio/*,video/*", required: true });
  const title = h("input", { name: "title", maxlength: 200, required: true, placeholder: "如：防汛通知" });
  file.addEventListener("change", () => {
    if (!title.value && file.files[0]) title.value = file.files[0].name.replace(/\.[^.]+$/, "");
  });
  const sent = h("progress", { max: 1, value: 0, id: "upload-progress" });
  const processed = h("progress", { max: 100, value: 0, id: "process-progress" });
  const state = h("p", { class: "muted", id: "upload-state" });
  const message = h("div");
  const button = h("button", { class: "primary", type: "submit" }, "上传");
  const form = h("form", { class: "card", id: "upload" }, h("h2", {}, "上传音频"),
    field("音频文件", file, "手机录音、MP3、WAV 等均可，服务器会转成喇叭版和手机版。"),
    field("标题", title),
    h("div", { class: "field" }, "上传进度", sent),
    h("div", { class: "field" }, "处理进度", processed),
    state, message, button);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    button.disabled = true;
    fill(message);
    sent.value = 0;
    processed.value = 0;
    fill(state, "正在上传…");
    try {
      const clip = await uploadClip(file.files[0], title.value.trim(), (p) => {
        sent.value = p;
        fill(state, `正在上传… ${Math.round(p * 100)}%`);
      });
      sent.value = 1;
      rememberClips([clip.id]);
      const done = (c) => {
        processed.value = c.progress ?? 0;
        if (c.status === "processing") {
          fill(state, `处理中：${STAGES[c.stage] || c.stage || "排队中"} ${c.progress ?? 0}%`);
          return;
        }
        button.disabled = false;
        fill(state, c.status === "ready" ? "处理完成，可以使用了。" : `处理失败：${c.error || ""}`);
        fill(message, c.status === "ready" ? okBox(`《${c.title}》已就绪`) : "");
        refresh(list, session);
      };
      done(clip);
      if (clip.status === "processing") followClip(clip.id, done);
    } catch (err) {
      button.disabled = false;
      fill(state);
      fill(message, errorBox(err, form));
    }
  });
  return form;
}

function addById(list, session) {
  const input = h("input", { name: "clipId", placeholder: "音频编号" });
  const message = h("div");
  const form = h("form", { class: "row" }, field("按编号添加已有音频", input),
    h("button", { type: "submit" }, "添加"), message);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      const clip = await api("GET", `/api/v1/clips/${encodeURIComponent(input.value.trim())}`);
      rememberClips([clip.id]);
      input.value = "";
      fill(message);
      refresh(list, session);
    } catch (err) {
      fill(message, errorBox(err));
    }
  });
  return form;
}

export function clipItem(clip, session) {
  const [label, tone] = STATUS[clip.status] || [clip.status, ""];
  const r = clip.renditions || {};
  const message = h("div");
  const item = h("li", { class: "clip", dataset: { clip: clip.id, status: clip.status } },
    h("div", {}, h("strong", {}, clip.title), h("span", { class: `badge ${tone}` }, label),
      clip.status === "processing" ? h("span", { class: "badge" }, `${STAGES[clip.stage] || ""} ${clip.progress}%`) : null),
    h("dl", { class: "kv" },
      h("dt", {}, "编号"), h("dd", {}, clip.id),
      h("dt", {}, "时长"), h("dd", {}, formatDuration(clip.durationMs)),
      h("dt", {}, "响度"), h("dd", {}, clip.loudness
        ? `原始 ${formatLufs(clip.loudness.inputLufs)} → ${formatLufs(clip.loudness.outputLufs)}` : "—"),
      h("dt", {}, "上传时间"), h("dd", {}, formatTime(clip.createdAt)),
      clip.error ? [h("dt", {}, "错误"), h("dd", {}, clip.error)] : null),
    r.loudspeaker ? h("div", {}, h("span", { class: "muted" }, "喇叭版（单声道 MP3）"),
      h("audio", { controls: true, preload: "none", src: r.loudspeaker.url })) : null,
    r.app ? h("div", {}, h("span", { class: "muted" }, "手机版（AAC）"),
      h("audio", { controls: true, preload: "none", src: r.app.url })) : null,
    message);
  if (session.can("clips")) {
    item.append(h("button", { type: "button", onclick: async () => {
      if (!confirm(`确定删除《${clip.title}》吗？`)) return;
      try {
        await api("DELETE", `/api/v1/clips/${encodeURIComponent(clip.id)}`);
        forgetClip(clip.id);
        item.remove();
      } catch (err) {
        fill(message, errorBox(err));
      }
    } }, "删除"));
  }
  return item;
}
