// The console's view of the HTTP API: the token, JSON calls, uploads with progress, the area tree
// and a clip channel over the WebSocket.

const TOKEN_KEY = "xiaolaba.console.token";

export function token() {
  return localStorage.getItem(TOKEN_KEY);
}

export function setToken(value) {
  if (value) localStorage.setItem(TOKEN_KEY, value);
  else localStorage.removeItem(TOKEN_KEY);
}

/** An answer other than 2xx: the problem document's fields, and a Chinese explanation if known. */
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || `HTTP ${status}`);
    this.status = status;
    this.detail = problem.detail;
    this.field = problem.field;
    this.conflicts = problem.conflicts || [];
    this.explanation = explain(status, problem.detail || "");
  }
}

/** Chinese for the server's English details that users meet most. */
function explain(status, detail) {
  const area = detail.match(/covers \[(.*)\], not area (\d+)/);
  if (status === 403 && area) {
    return `此令牌只管辖 ${names(area[1].split(/,\s*/))}，不能操作 ${names([area[2]])}`;
  }
  if (status === 403) return "此令牌的角色不能做这件事";
  if (status === 409 && /conflict/i.test(detail)) return "与已有节目的播出时间冲突";
  if (status === 412) return "别人刚刚修改过这条内容，请刷新后在最新版本上重新修改";
  if (status === 415) {
    const kind = [["image", "图片"], ["document", "文档"], ["archive", "压缩包"], ["program", "程序"],
      ["HTML", "网页"], ["JSON", "JSON 文本"]].find(([en]) => detail.includes(en));
    return `所选文件是${kind ? kind[1] : "其他格式"}，请选择 MP3、WAV、FLAC、AAC/M4A 等音频文件`;
  }
  return "";
}

function names(codes) {
  return codes.map((c) => (areaIndex.get(c)?.name ? `${areaIndex.get(c).name}（${c}）` : c)).join("、");
}

/**
 * Calls the API; resolves with the parsed JSON (or null for 204), rejects with ApiError.
 * extraHeaders: e.g. If-Match with the version a change was made against.
 */
export async function api(method, path, body, extraHeaders = {}) {
  const headers = { ...extraHeaders };
  const t = token();
  if (t) headers.Authorization = `Bearer ${t}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let res;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (e) {
    throw new ApiError(0, { detail: e.message });
  }
  const text = await res.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { json = { detail: text }; }
  if (!res.ok) throw new ApiError(res.status, json || {});
  return json;
}

/**
 * GETs a download (a CSV) with the token in the Authorization header, never in the URL; resolves
 * with its bytes as a Blob, rejects with ApiError.
 */
export async function fetchBlob(path) {
  let res;
  try {
    res = await fetch(path, { headers: { Authorization: `Bearer ${token()}` } });
  } catch (e) {
    throw new ApiError(0, { detail: e.message });
  }
  if (!res.ok) {
    const text = await res.text();
    let json;
    try { json = JSON.parse(text); } catch { json = { detail: text }; }
    throw new ApiError(res.status, json || {});
  }
  return res.blob();
}

/**
 * Uploads a file as the raw body of POST /api/v1/clips, reporting progress(0..1) as it goes.
 * XMLHttpRequest, because fetch cannot report upload progress.
 */
export function uploadClip(file, title, progress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", `/api/v1/clips?title=${encodeURIComponent(title)}`);
    xhr.setRequestHeader("Authorization", `Bearer ${token()}`);
    xhr.setRequestHeader("Content-Type", file.type || "application/octet-stream");
    xhr.upload.onprogress = (e) => { if (e.lengthComputable) progress(e.loaded / e.total); };
    xhr.onload = () => {
      let json = {};
      try { json = JSON.parse(xhr.responseText || "{}"); } catch { json = { detail: xhr.responseText }; }
      if (xhr.status >= 200 && xhr.status < 300) resolve(json);
      else reject(new ApiError(xhr.status, json));
    };
    xhr.onerror = () => reject(new ApiError(0, { detail: "network error" }));
    xhr.send(file);
  });
}

// The area tree, fetched once: code -> {code, name, level, parent}.
const areaIndex = new Map();
let areaRoot = null;

export async function areas() {
  if (areaRoot) return areaRoot;
  const root = await api("GET", "/api/v1/areas");
  const walk = (node, parent, level) => {
    areaIndex.set(node.code, { code: node.code, name: node.name, level, parent });
    (node.children || []).forEach((c) => walk(c, node.code, level + 1));
  };
  walk(root, null, 0);
  areaRoot = root;
  return root;
}

export function areaName(code) {
  return areaIndex.get(code)?.name || code;
}

/** Every area as [code, indented name], county first; {within}: only those under these codes. */
export function areaChoices(within) {
  const out = [];
  for (const a of areaIndex.values()) {
    if (within && !within.some((w) => a.code.startsWith(w))) continue;
    out.push([a.code, `${"　".repeat(a.level)}${a.name}`]);
  }
  return out;
}

/** Area codes nest by prefix (county 6, town 9, village 12 digits): one covers the other. */
export function overlaps(a, b) {
  return a.startsWith(b) || b.startsWith(a);
}

/**
 * One page of the server's clip list, newest first: {clips, nextCursor}; pass nextCursor back as
 * cursor for the page after it (absent on the last page). status: processing, ready or failed.
 */
export function listClips({ limit = 20, cursor, status } = {}) {
  const q = new URLSearchParams({ limit: String(limit) });
  if (cursor) q.set("cursor", cursor);
  if (status) q.set("status", status);
  return api("GET", `/api/v1/clips?${q}`);
}

/**
 * Follows one clip's processing on the WebSocket channel clip:ID; onClip gets each state until it
 * is ready or failed. Returns a function that stops following.
 */
export function followClip(id, onClip) {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const ws = new WebSocket(`${scheme}//${location.host}/ws`);
  ws.onopen = () => {
    // The token goes in the first frame, never in the URL; the subscribe is taken after it.
    ws.send(JSON.stringify({ op: "auth", token: token() }));
    ws.send(JSON.stringify({ op: "subscribe", channels: [`clip:${id}`] }));
  };
  ws.onmessage = (e) => {
    const msg = JSON.parse(e.data);
    if (msg.type !== "clip") return;
    onClip(msg.data);
    if (msg.data.status !== "processing") ws.close();
  };
  return () => ws.close();
}
