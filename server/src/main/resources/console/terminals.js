// 终端: the board of loudspeaker terminals, refreshed every few seconds.
import { api, areaName } from "./api.js";
import { h, fill, errorBox, formatTime, every } from "./ui.js";

const STATES = { idle: "空闲", playing: "正在播放", fault: "故障" };

export async function render(root) {
  const board = h("div", { class: "board", id: "terminal-board" });
  const stamp = h("span", { class: "muted" });
  root.append(h("section", { class: "card" }, h("h2", {}, "终端"),
    h("p", { class: "muted" }, "每 5 秒自动刷新。", stamp), board));
  every(5000, board, () => refreshBoard(board, stamp));
}

/** Redraws a board of terminals; {only}: area codes to keep (a terminal in or below one of them). */
export async function refreshBoard(board, stamp, only) {
  try {
    const all = await api("GET", "/api/v1/terminals");
    const shown = only ? all.filter((t) => t.areas.some((a) => only.some((o) => a.startsWith(o)))) : all;
    fill(board, shown.length ? shown.map(terminalCard) : h("p", { class: "muted" }, "还没有终端连接过。"));
    if (stamp) fill(stamp, ` 更新于 ${formatTime(new Date().toISOString())}`);
  } catch (err) {
    fill(board, errorBox(err));
  }
}

function terminalCard(t) {
  const state = t.online ? t.state : "offline";
  return h("div", { class: `terminal ${state}`, dataset: { terminal: t.id, state } },
    h("strong", {}, t.name),
    h("span", { class: `badge ${t.online ? "ok" : ""}` }, t.online ? "在线" : "离线"),
    t.online ? h("span", { class: `badge ${state === "playing" ? "on" : state === "fault" ? "bad" : ""}` },
      STATES[t.state] || t.state) : null,
    h("div", { class: "muted" }, t.areas.map(areaName).join("、")),
    t.nowPlaying ? h("div", {}, `正在播：${t.nowPlaying}`) : null,
    h("div", { class: "muted" }, `最后在线：${formatTime(t.lastSeen)}`),
    t.volume !== undefined ? h("div", { class: "muted" }, `音量 ${t.volume}%`) : null);
}
