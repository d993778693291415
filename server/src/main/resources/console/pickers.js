// Pickers shared by the forms: areas (from the tree, the token's own marked) and ready clips.
import { areaChoices, listClips } from "./api.js";
import { h, options, formatDuration } from "./ui.js";

/** A select of every area; the token's own areas (and those below them) are marked. */
export function areaSelect(name, session, { multiple = false, selected = [], only } = {}) {
  const mine = (code) => session.role === "admin" || session.areas.some((a) => code.startsWith(a));
  const pairs = areaChoices(only).map(([code, label]) => [code, mine(code) ? `${label} ✓` : label]);
  const select = h("select", { name, multiple, size: multiple ? Math.min(8, pairs.length) : undefined },
    options(pairs, null));
  for (const o of select.options) o.selected = selected.includes(o.value);
  return select;
}

export function selectedValues(select) {
  return [...select.selectedOptions].map((o) => o.value).filter(Boolean);
}

/** A select of the newest 200 ready clips on the server, with an empty choice when optional. */
export async function clipSelect(name, { optional = false, selected } = {}) {
  const { clips } = await listClips({ limit: 200, status: "ready" });
  const pairs = clips.map((c) => [c.id, `${c.title}（${formatDuration(c.durationMs)}）`]);
  if (selected && !pairs.some(([id]) => id === selected)) pairs.unshift([selected, selected]);
  if (optional) pairs.unshift(["", "（不附音频）"]);
  else if (pairs.length === 0) pairs.push(["", "音频库里还没有可用的音频"]);
  return h("select", { name }, options(pairs, selected || ""));
}
