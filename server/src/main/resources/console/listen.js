// /listen: a resident chooses a village and receives its pushes live, with their audio.
// Uses the shipped XiaolabaClient (/client.js): reconnects, resumes from the last offset, acks.
const VILLAGE_KEY = "xiaolaba.listen.village";
const KINDS = { notice: "通知", news: "新闻", policy: "政策", bulletin: "每日简报" };
const LINK = { open: "已连接，消息会实时出现", waiting: "连接中断，正在重连…", connecting: "正在连接…" };

const select = document.getElementById("village");
const feed = document.getElementById("feed");
const empty = document.getElementById("empty");
const link = document.getElementById("link");
let client = null;

function el(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

async function start() {
  const root = await (await fetch("/api/v1/areas")).json();
  select.replaceChildren(new Option("请选择…", ""));
  for (const town of root.children || []) {
    const group = document.createElement("optgroup");
    group.label = town.name;
    for (const village of town.children || []) group.append(new Option(village.name, village.code));
    select.append(group);
  }
  select.value = localStorage.getItem(VILLAGE_KEY) || "";
  select.addEventListener("change", () => listen(select.value));
  if (select.value) listen(select.value);
}

function listen(code) {
  if (client) client.close();
  client = null;
  feed.replaceChildren();
  empty.hidden = false;
  if (!code) {
    localStorage.removeItem(VILLAGE_KEY);
    link.textContent = "未连接";
    return;
  }
  localStorage.setItem(VILLAGE_KEY, code);
  link.textContent = LINK.connecting;
  client = new XiaolabaClient({ channels: [`area:${code}`] })
    .on("subscribed", () => { link.textContent = LINK.open; })
    .on("close", () => { link.textContent = LINK.waiting; })
    .on("push", (m) => show(m))
    .connect();
}

function show(m) {
  const d = m.data || {};
  const item = el("li");
  item.dataset.push = d.pushId || "";
  const title = el("div", "title", d.title || "");
  title.append(el("span", "badge", KINDS[d.kind] || d.kind || ""));
  item.append(title, el("div", "muted", d.sentAt ? new Date(d.sentAt).toLocaleString("zh-CN", { timeZone: "Asia/Shanghai" }) : ""));
  if (d.body) item.append(el("div", "body", d.body));
  if (d.audioUrl) {
    const audio = el("audio");
    audio.controls = true;
    audio.preload = "none";
    audio.src = d.audioUrl;
    item.append(audio);
  }
  feed.prepend(item);
  empty.hidden = true;
}

start().catch(() => { link.textContent = "无法连接服务器"; });
