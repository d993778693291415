// 音频库: upload with a progress bar, then follow processing live on the clip's channel; the
// server's clips, newest first and a page at a time, with status, duration, loudness and both
// renditions to play.
import { api, uploadClip, followClip, listClips } from "./api.js";
import { h, fill, field, options, errorBox, okBox, formatDuration, formatLufs, formatTime } from "./ui.js";

const STAGES = { queued: "排队中", analyzing: "分析音频", encoding: "转码中", done: "完成" };
const STATUS = { processing: ["处理中", "warn"], ready: ["可用", "ok"], failed: ["失败", "bad"] };
const FILTERS = [["", "全部"], ["ready", "可用"], ["processing", "处理中"], ["failed", "失败"]];
const PAGE = 20;

export async function render(root, session) {
  const list = h("ul", { class: "list", id: "clip-list" });
  const status = h("select", { name: "status", id: "clip-status" }, options(FILTERS, ""));
  const more = h("button", { type: "button", id: "more-clips", hidden: true }, "加载更多");
  const message = h("div");
  const pager = { list, status, more, message, session, cursor: null, generation: 0 };
  status.addEventListener("change", () => refresh(pager));
  more.addEventListener("click", () => loadPage(pager));
  if (session.can("clips")) root.append(uploadCard(() => refresh(pager), session));
  root.append(h("section", { class: "card" }, h("h2", {}, "音频列表"),
    field("状态", status), list, message, more));
  await refresh(pager);
}

/** Shows the first page again (after an upload, a deletion, a new filter). */
function refresh(pager) {
  pager.cursor = null;
  pager.generation++;
  fill(pager.list);
  return loadPage(pager);
}

/** Appends the next page of clips; the button asks for the one after it while there is one. */
async function loadPage(pager) {
  const generation = pager.generation;
  const first = !pager.cursor;
  pager.more.disabled = true;
  fill(pager.message);
  try {
    const page = await listClips({ limit: PAGE, cursor: pager.cursor, status: pager.status.value || undefined });
    if (generation !== pager.generation) return; // a newer refresh has started over
    pager.cursor = page.nextCursor || null;
    pager.list.append(...page.clips.map((c) => clipItem(c, pager.session)));
    if (first && !page.clips.length) pager.list.append(h("li", { class: "muted" }, "还没有音频。"));
    pager.more.hidden = !pager.cursor;
  } catch (err) {
    fill(pager.message, errorBox(err));
  } finally {
    pager.more.disabled = false;
  }
}

function uploadCard(refresh, session) {
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
      const done = (c) => {
        processed.value = c.progress ?? 0;
        if (c.status === "processing") {
          fill(state, `处理中：${STAGES[c.stage] || c.stage || "排队中"} ${c.progress ?? 0}%`);
          return;
        }
        button.disabled = false;
        fill(state, c.status === "ready" ? "处理完成，可以使用了。" : `处理失败：${c.error || ""}`);
        fill(message, c.status === "ready" ? okBox(`《${c.title}》已就绪`) : "");
        refresh();
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
        item.remove();
      } catch (err) {
        fill(message, errorBox(err));
      }
    } }, "删除"));
  }
  return item;
}
