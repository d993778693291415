// The console shell: log in with a token, learn its role and areas, and show the screens that role
// may use. Each screen is a module exporting render(container, session).
import { api, areas, setToken, token, areaName } from "./api.js";
import { h, fill, field, errorBox } from "./ui.js";

const ALL = ["admin", "editor", "broadcaster"];
const SCREENS = [
  { id: "clips", label: "音频库", roles: ALL, module: "./clips.js" },
  { id: "items", label: "稿件", roles: ALL, module: "./items.js" },
  { id: "bulletins", label: "每日简报", roles: ALL, module: "./bulletins.js" },
  { id: "programs", label: "节目单", roles: ALL, module: "./programs.js" },
  { id: "emergency", label: "紧急广播", roles: ["admin", "broadcaster"], permission: "emergency",
    module: "./emergency.js" },
  { id: "terminals", label: "终端", roles: ALL, module: "./terminals.js" },
  { id: "pushes", label: "推送", roles: ["admin", "editor"], module: "./pushes.js" },
  { id: "audit", label: "操作日志", roles: ["admin"], module: "./audit.js" },
];

/** What each role may change; reading is wider (see SCREENS). Mirrors the server's route table. */
const WRITES = {
  clips: ["admin", "editor"],
  items: ["admin", "editor"],
  bulletins: ["admin", "editor"],
  programs: ["admin", "broadcaster"],
  emergency: ["admin", "broadcaster"],
  pushes: ["admin", "editor"],
};

const ROLE_NAMES = { admin: "管理员", editor: "编辑", broadcaster: "广播员", terminal: "终端" };

const view = document.getElementById("view");
const nav = document.getElementById("nav");
let session = null;

async function start() {
  await areas().catch(() => null);
  if (!token()) return showLogin();
  try {
    session = await loadSession();
  } catch (e) {
    return showLogin(e);
  }
  showConsole();
}

async function loadSession() {
  const s = await api("GET", "/api/v1/session");
  return { ...s, can: (what) => (WRITES[what] || []).includes(s.role) };
}

function showLogin(error) {
  nav.hidden = true;
  document.getElementById("who").hidden = true;
  const input = h("input", { type: "password", name: "token", autocomplete: "current-password", required: true,
    placeholder: "管理员发给您的令牌" });
  const message = h("div");
  if (error) message.append(errorBox(error));
  const form = h("form", { class: "card", id: "login" },
    h("h2", {}, "登录"),
    h("p", { class: "muted" }, "输入您的令牌。令牌只保存在这台设备的浏览器里。"),
    field("令牌", input),
    message,
    h("button", { class: "primary", type: "submit" }, "登录"));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    setToken(input.value.trim());
    try {
      session = await loadSession();
    } catch (err) {
      setToken(null);
      fill(message, errorBox(err));
      return;
    }
    showConsole();
  });
  fill(view, form);
  input.focus();
}

/** The screens of the session's role, less those needing a permission the token lacks. */
function screensFor(session) {
  return SCREENS.filter((s) => s.roles.includes(session.role)
    && (!s.permission || (session.permissions || []).includes(s.permission)));
}

function showConsole() {
  const who = document.getElementById("who");
  fill(document.getElementById("who-name"),
    `${session.name} · ${ROLE_NAMES[session.role] || session.role} · ${session.areas.map(areaName).join("、")}`);
  who.hidden = false;
  const screens = screensFor(session);
  if (screens.length === 0) {
    nav.hidden = true;
    fill(view, h("section", { class: "card" }, h("h2", {}, "无法使用控制台"),
      h("p", {}, "终端令牌只用于喇叭终端连接服务器，不能登录控制台。请使用编辑或广播员的令牌。")));
    return;
  }
  fill(nav, screens.map((s) => h("a", { href: `#${s.id}`, dataset: { screen: s.id } }, s.label)));
  nav.hidden = false;
  route();
}

async function route() {
  if (!session) return;
  const screens = screensFor(session);
  const wanted = location.hash.slice(1);
  const screen = screens.find((s) => s.id === wanted) || screens[0];
  nav.querySelectorAll("a").forEach((a) => a.classList.toggle("active", a.dataset.screen === screen.id));
  const container = h("div", { id: `screen-${screen.id}` });
  fill(view, container);
  try {
    const module = await import(screen.module);
    await module.render(container, session);
  } catch (e) {
    container.append(errorBox(e));
  }
}

document.getElementById("logout").addEventListener("click", () => {
  setToken(null);
  session = null;
  location.hash = "";
  showLogin();
});
window.addEventListener("hashchange", route);
start();
