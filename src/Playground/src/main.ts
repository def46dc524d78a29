import "./style.css";
import { diffWords } from "diff";
import { ApiError, apiUrl, listModels, setApiKey, streamChat, tokenize, type Influence, type ModelCard, type SteeringApplied, type Tokenized } from "./api";
import { InfluenceChart } from "./chart";
import { closeTag, findTags, locateSubstring, openTag, stripTags, untag, type TagKind } from "./marks";
import { LANGUAGES, snippet, type ChatBody, type Language } from "./snippets";

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: Record<string, unknown> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  Object.assign(e, props);
  e.append(...children);
  return e;
}

// ---- state ----
type Which = "baseline" | "steered" | "influence";
let model: ModelCard | null = null;
const substrings: string[] = [];
const sent: Partial<Record<Which, ChatBody>> = {};
let language: Language = "curl";
let tokenized: Tokenized | null = null;
let applied: SteeringApplied | null = null;
let influence: { report: Influence; labels: string[] } | null = null;
let running: AbortController | null = null;
const chart = new InfluenceChart($("influence-chart"));
// For the browser test and the console: what the chart shows.
(window as unknown as { steerPlayground: unknown }).steerPlayground = { chart };

// ---- API key (session storage only: gone when the tab closes) ----
const KEY = "steerserver.apiKey";
const keyInput = $<HTMLInputElement>("api-key");
keyInput.value = sessionStorage.getItem(KEY) ?? "";
setApiKey(keyInput.value);
keyInput.addEventListener("change", () => {
  sessionStorage.setItem(KEY, keyInput.value);
  setApiKey(keyInput.value);
  void loadModels();
});

// ---- messages ----
interface Editor { root: HTMLElement; role: HTMLSelectElement; text: HTMLTextAreaElement; backdrop: HTMLElement }
const editors: Editor[] = [];
let lastEditor: Editor | null = null;

function addMessage(role: string, content: string) {
  const roleSelect = el("select", { className: "role" }, ...["system", "user", "assistant"].map(r => el("option", { value: r, textContent: r })));
  roleSelect.value = role;
  const text = el("textarea", { value: content, spellcheck: false, rows: 3 });
  const backdrop = el("div", { className: "backdrop" });
  backdrop.setAttribute("aria-hidden", "true");
  const remove = el("button", { type: "button", className: "small", textContent: "Remove" });
  const root = el("div", { className: "message" }, el("div", { className: "message-head" }, roleSelect, remove), el("div", { className: "editor" }, backdrop, text));
  const editor: Editor = { root, role: roleSelect, text, backdrop };
  editors.push(editor);
  text.addEventListener("input", refreshMarks);
  text.addEventListener("focus", () => (lastEditor = editor));
  text.addEventListener("scroll", () => (backdrop.scrollTop = text.scrollTop));
  text.addEventListener("keydown", e => {
    const kind = ({ e: "pasta", "1": "!", "2": "!!", "3": "!!!", i: "?" } as Record<string, string>)[e.key.toLowerCase()];
    if (e.altKey && !e.ctrlKey && !e.metaKey && kind) { e.preventDefault(); mark(kind); }
  });
  roleSelect.addEventListener("change", labelEditors);
  remove.addEventListener("click", () => {
    editors.splice(editors.indexOf(editor), 1);
    root.remove();
    labelEditors();
    refreshMarks();
  });
  $("messages").append(root);
  labelEditors();
  refreshMarks();
}

function labelEditors() {
  editors.forEach((e, i) => e.text.setAttribute("aria-label", `message ${i + 1} (${e.role.value})`));
}

const contents = () => editors.map(e => e.text.value);

/** Wraps the selection in GUIDE tags, or adds it as a PASTA substring. */
function mark(kind: string) {
  const editor = lastEditor;
  if (!editor) return;
  const { selectionStart: start, selectionEnd: end, value } = editor.text;
  if (start === end) { flash("Select some text in a message first."); editor.text.focus(); return; }
  if (kind === "pasta") {
    const selected = value.slice(start, end);
    if (!substrings.includes(selected)) substrings.push(selected);
  } else {
    const k = kind as TagKind;
    editor.text.setRangeText(openTag(k) + value.slice(start, end) + closeTag(k), start, end, "select");
  }
  refreshMarks();
  editor.text.focus();
}

function flash(message: string) {
  const box = $("marks");
  box.querySelector(".flash")?.remove();
  box.prepend(el("li", { className: "flash", textContent: message }));
}

/** Redraws the inline highlights (a backdrop behind each textarea) and the list of removable marks. */
function refreshMarks() {
  const all = contents();
  const list = $("marks");
  list.replaceChildren();
  editors.forEach((editor, i) => {
    const text = editor.text.value;
    const classes: string[][] = Array.from({ length: text.length }, () => []);
    const paint = (from: number, to: number, cls: string) => { for (let c = from; c < to; c++) classes[c].push(cls); };
    for (const span of findTags(text)) {
      paint(span.open, span.contentStart, "tag");
      paint(span.contentEnd, span.end, "tag");
      paint(span.contentStart, span.contentEnd, span.kind === "?" ? "measure" : `guide-${span.kind.length}`);
      const item = chip(`${openTag(span.kind)} ${text.slice(span.contentStart, span.contentEnd)}`, span.kind === "?" ? "measure" : `guide-${span.kind.length}`,
        `Remove the ${openTag(span.kind)} tags`, () => { editor.text.value = untag(editor.text.value, span); refreshMarks(); });
      list.append(item);
    }
    substrings.forEach(s => {
      const at = locateSubstring(all, s);
      if (at?.message === i) paint(at.start, at.start + s.length, "pasta");
    });
    editor.backdrop.replaceChildren();
    let run = 0;
    for (let c = 1; c <= text.length; c++) {
      if (c < text.length && classes[c].join() === classes[run].join()) continue;
      const piece = text.slice(run, c);
      editor.backdrop.append(classes[run].length ? el("mark", { className: classes[run].join(" "), textContent: piece }) : piece);
      run = c;
    }
    editor.backdrop.append("\n"); // a trailing newline in the textarea still takes a line
    editor.text.style.height = "auto";
    editor.text.style.height = `${editor.text.scrollHeight + 2}px`;
  });
  substrings.forEach((s, i) => {
    const found = locateSubstring(all, s) !== null;
    list.append(chip(`emphasise ${s}${found ? "" : " (not in any message)"}`, "pasta", "Remove this emphasis", () => { substrings.splice(i, 1); refreshMarks(); }, `substring-${i}`));
  });
}

function chip(label: string, cls: string, removeLabel: string, remove: () => void, id?: string) {
  const button = el("button", { type: "button", className: "remove", textContent: "×", title: removeLabel });
  button.setAttribute("aria-label", `${removeLabel}: ${label}`);
  button.addEventListener("click", remove);
  const li = el("li", {}, el("span", { className: `chip ${cls}`, textContent: label }), button);
  if (id) li.id = id;
  return li;
}

$("add-message").addEventListener("click", () => { addMessage("user", ""); editors.at(-1)!.text.focus(); });
document.querySelectorAll<HTMLButtonElement>("[data-mark]").forEach(b => {
  b.addEventListener("mousedown", e => e.preventDefault()); // keep the textarea's selection and focus
  b.addEventListener("click", () => mark(b.dataset.mark!));
});

// ---- head_config ----
const headInput = $<HTMLInputElement>("head-config");

function buildPicker(card: ModelCard) {
  const picker = $("head-picker");
  picker.replaceChildren();
  for (let layer = 0; layer < card.num_hidden_layers; layer++) {
    const row = el("div", { className: "layer-row" });
    const toggle = el("button", { type: "button", className: "small", textContent: `layer ${layer}` });
    toggle.setAttribute("aria-label", `toggle every head of layer ${layer}`);
    toggle.addEventListener("click", () => {
      const boxes = [...row.querySelectorAll<HTMLInputElement>("input")];
      const on = !boxes.every(b => b.checked);
      boxes.forEach(b => (b.checked = on));
      pickerToText();
    });
    row.append(toggle);
    for (let head = 0; head < card.num_attention_heads; head++) {
      const box = el("input", { type: "checkbox" });
      box.dataset.layer = String(layer);
      box.dataset.head = String(head);
      box.setAttribute("aria-label", `layer ${layer} head ${head}`);
      box.addEventListener("change", pickerToText);
      row.append(el("label", { className: "head", title: `layer ${layer}, head ${head}` }, box, String(head)));
    }
    picker.append(row);
  }
}

function pickerToText() {
  const config: Record<string, number[]> = {};
  document.querySelectorAll<HTMLInputElement>("#head-picker input:checked").forEach(b => (config[b.dataset.layer!] ??= []).push(Number(b.dataset.head)));
  const layers = Object.keys(config);
  // Every head of each chosen layer: the shorter array form says the same.
  const whole = layers.every(l => config[l].length === model!.num_attention_heads);
  headInput.value = layers.length === 0 ? "" : JSON.stringify(whole ? layers.map(Number) : config);
}

function textToPicker() {
  let value: unknown;
  try { value = headInput.value.trim() ? JSON.parse(headInput.value) : {}; } catch { return; }
  const on = (layer: number, head: number) =>
    Array.isArray(value) ? value.includes(layer) : typeof value === "object" && value !== null && ((value as Record<string, unknown>)[String(layer)] as unknown[] | undefined)?.includes?.(head) === true;
  document.querySelectorAll<HTMLInputElement>("#head-picker input").forEach(b => (b.checked = on(Number(b.dataset.layer), Number(b.dataset.head))));
}

function setAllHeads(on: boolean) {
  document.querySelectorAll<HTMLInputElement>("#head-picker input").forEach(b => (b.checked = on));
  pickerToText();
}
headInput.addEventListener("input", textToPicker);
$("heads-all").addEventListener("click", () => setAllHeads(true));
$("heads-none").addEventListener("click", () => setAllHeads(false));
$("heads-default").addEventListener("click", () => {
  headInput.value = model?.default_head_config ? JSON.stringify(model.default_head_config) : "";
  textToPicker();
});

// ---- models ----
const modelSelect = $<HTMLSelectElement>("model");
let models: ModelCard[] = [];

async function loadModels() {
  const box = $("load-error");
  try {
    models = await listModels();
    box.hidden = true;
  } catch (e) {
    showError(box, e);
    return;
  }
  if (models.length === 0) { showError(box, new Error("The server has no model ready yet (it may still be loading); reload in a moment.")); return; }
  modelSelect.replaceChildren(...models.map(m => el("option", { value: m.id, textContent: m.id })));
  selectModel(models[0]);
}

function selectModel(card: ModelCard) {
  model = card;
  $("model-info").textContent = `${card.num_hidden_layers} layers × ${card.num_attention_heads} heads (${card.num_key_value_heads} KV), context ${card.max_model_len}`;
  $<HTMLInputElement>("max-tokens").max = String(card.max_model_len);
  buildPicker(card);
  headInput.value = card.default_head_config ? JSON.stringify(card.default_head_config) : "";
  headInput.placeholder = card.default_head_config ? "the model's default" : "this model has no default head set: pick heads";
  textToPicker();
  const layers = $("layer-choice");
  layers.replaceChildren();
  for (let layer = -1; layer < card.num_hidden_layers; layer++) {
    const box = el("input", { type: "checkbox", checked: layer >= 0 });
    box.dataset.layer = String(layer);
    box.addEventListener("change", drawInfluence);
    layers.append(el("label", { className: "check" }, box, layer < 0 ? "span (−1)" : String(layer)));
  }
}
modelSelect.addEventListener("change", () => selectModel(models.find(m => m.id === modelSelect.value)!));

// ---- requests ----
/** A control's value as a number, or undefined when empty (the server's default then applies). */
function numberOf(id: string): number | undefined {
  const v = $<HTMLInputElement>(id).value.trim();
  return v === "" ? undefined : Number(v);
}

class FormError extends Error { constructor(message: string, readonly param: string) { super(message); } }

function chatBody(steering: unknown, messages: { role: string; content: string }[]): ChatBody {
  if (!model) throw new FormError("No model is loaded.", "model");
  return {
    model: model.id,
    messages,
    temperature: numberOf("temperature") ?? 1,
    max_completion_tokens: numberOf("max-tokens") ?? 16,
    seed: numberOf("seed") ?? 0,
    stream: true,
    stream_options: { include_usage: true },
    steering,
  };
}

/** The editors that become messages: an empty system message is left out. */
const sentEditors = () => editors.filter(e => e.text.value !== "" || e.role.value !== "system");

function messagesFor(steered: boolean) {
  return sentEditors().map(e => ({ role: e.role.value, content: steered ? e.text.value : stripTags(e.text.value) }));
}

function steeringObject(): Record<string, unknown> {
  const steering: Record<string, unknown> = {};
  if (substrings.length) steering.substrings = [...substrings];
  if (headInput.value.trim()) {
    try { steering.head_config = JSON.parse(headInput.value); } catch { throw new FormError("head_config is not valid JSON.", "steering.head_config"); }
  }
  const set = (name: string, value: unknown) => { if (value !== undefined) steering[name] = value; };
  set("alpha", numberOf("alpha"));
  steering.scale_position = $<HTMLSelectElement>("scale-position").value;
  set("delta", numberOf("delta"));
  steering.steer_decode = $<HTMLInputElement>("steer-decode").checked;
  return steering;
}

// ---- output panes ----
interface Pane { root: HTMLElement; text: string }
const panes = { baseline: { root: $("out-baseline"), text: "" } as Pane, steered: { root: $("out-steered"), text: "" } as Pane };

function setState(pane: Pane, state: string, status: string) {
  pane.root.dataset.state = state;
  pane.root.querySelector(".status")!.textContent = status;
}

/** Marks what differs between the two outputs, word by word: removed words in the baseline, added ones in the steered text. */
let diffQueued = false;
function renderDiff() {
  if (diffQueued) return;
  diffQueued = true;
  requestAnimationFrame(() => {
    diffQueued = false;
    // Only two finished-or-streaming texts are compared; next to a failed run the other text stays plain.
    const failed = panes.baseline.root.dataset.state === "error" || panes.steered.root.dataset.state === "error";
    const parts = failed ? [{ value: panes.baseline.text, removed: true, added: false }, { value: panes.steered.text, added: true, removed: false }]
      .map(p => ({ ...p, plain: true })) : diffWords(panes.baseline.text, panes.steered.text).map(p => ({ ...p, plain: false }));
    const base = panes.baseline.root.querySelector(".text")!, steer = panes.steered.root.querySelector(".text")!;
    base.replaceChildren(...parts.filter(p => !p.added).map(p => (p.removed && !p.plain ? el("del", { textContent: p.value }) : p.value)));
    steer.replaceChildren(...parts.filter(p => !p.removed).map(p => (p.added && !p.plain ? el("ins", { textContent: p.value }) : p.value)));
  });
}

async function runPane(pane: Pane, body: ChatBody, signal: AbortSignal) {
  pane.text = "";
  pane.root.querySelector<HTMLElement>(".error")!.hidden = true;
  setState(pane, "streaming", "streaming…");
  renderDiff();
  let finish = "";
  try {
    await streamChat(body, {
      onText: t => { pane.text += t; renderDiff(); },
      onFinish: (reason, steeringApplied) => {
        finish = reason;
        if (pane === panes.steered) { applied = steeringApplied; renderTokens(); }
      },
      onUsage: (prompt, completion) => setState(pane, "streaming", `finish_reason ${finish} · ${prompt} prompt + ${completion} completion tokens`),
    }, signal);
    setState(pane, "done", pane.root.querySelector(".status")!.textContent || `finish_reason ${finish}`);
  } catch (e) {
    if (signal.aborted) return;
    setState(pane, "error", "failed");
    showError(pane.root.querySelector<HTMLElement>(".error")!, e);
    renderDiff();
  }
}

async function run() {
  clearInvalid();
  let baseline: ChatBody, steered: ChatBody;
  try {
    steered = chatBody(steeringObject(), messagesFor(true));
    baseline = chatBody(false, messagesFor(false));
  } catch (e) {
    showError(panes.steered.root.querySelector<HTMLElement>(".error")!, e);
    return;
  }
  running?.abort();
  const controller = running = new AbortController();
  sent.baseline = baseline;
  sent.steered = steered;
  $<HTMLSelectElement>("request-which").value = "steered";
  renderCode();
  applied = null;
  tokenized = null;
  renderTokens();
  await Promise.all([
    runPane(panes.baseline, baseline, controller.signal),
    runPane(panes.steered, steered, controller.signal),
    tokenizePrompt(baseline.messages, controller.signal).then(t => { tokenized = t; renderTokens(); }, () => { /* the runs show the error */ }),
  ]);
}
$("run").addEventListener("click", () => void run());
document.addEventListener("keydown", e => {
  if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); void run(); }
});

/** The prompt as the server tokenizes it: the messages without GUIDE tags (the server removes them before the template). */
const tokenizePrompt = (messages: { role: string; content: string }[], signal?: AbortSignal) =>
  tokenize({ model: model!.id, messages, add_generation_prompt: true }, signal);

function renderTokens() {
  const box = $("tokens");
  box.replaceChildren();
  const summary = $("applied");
  if (!tokenized) { summary.textContent = "…"; return; }
  const spans = applied?.spans ?? [];
  tokenized.token_strs.forEach((s, i) => {
    const span = spans.find(sp => sp.token_start <= i && i < sp.token_end);
    const t = el("span", { className: `token${span ? ` ${span.source}` : ""}`, textContent: s.replaceAll("\n", "↵") });
    t.title = `#${i} id ${tokenized!.tokens[i]}${span ? ` · ${span.source} span, offset ${span.offset.toFixed(4)}` : ""}`;
    box.append(t);
  });
  const described = spans.map(s => `${s.source} “${s.text}” tokens [${s.token_start}, ${s.token_end}) offset ${s.offset.toFixed(4)}`);
  summary.textContent = `${tokenized.count} tokens (context ${tokenized.max_model_len}). ` +
    (applied ? `Steering applied: ${described.join("; ") || "no spans"}; PASTA on ${applied.layers} layers, ${applied.heads} heads.` : "");
}

// ---- influence ----
async function measure() {
  clearInvalid();
  const errorBox = $("influence-error");
  errorBox.hidden = true;
  let body: ChatBody;
  try {
    const steering = { ...steeringObject(), influence: $<HTMLSelectElement>("metric").value, delta_influence: numberOf("delta-influence") ?? 0 };
    // The metric is computed over the prompt; one generated token is enough.
    body = { ...chatBody(steering, messagesFor(true)), max_completion_tokens: 1 };
  } catch (e) { showError(errorBox, e); return; }
  sent.influence = body;
  $<HTMLSelectElement>("request-which").value = "influence";
  renderCode();
  const button = $<HTMLButtonElement>("measure");
  button.disabled = true;
  try {
    let report: Influence | null = null;
    const [, tokens] = await Promise.all([
      streamChat(body, { onText: () => {}, onFinish: (_r, _a, inf) => (report = inf), onUsage: () => {} }),
      tokenizePrompt(messagesFor(false)),
    ]);
    if (!report) throw new Error("The response carried no influence.");
    const r: Influence = report;
    // Label each position with its token string; the ids agree with /tokenize unless the prompt changed in between.
    const labels = r.tokens.map((id, i) => (tokens.tokens[i] === id ? tokens.token_strs[i] : `id ${id}`));
    influence = { report: r, labels };
    drawInfluence();
  } catch (e) {
    showError(errorBox, e);
  } finally {
    button.disabled = false;
  }
}
$("measure").addEventListener("click", () => void measure());

function drawInfluence() {
  if (!influence) return;
  const layers = [...document.querySelectorAll<HTMLInputElement>("#layer-choice input:checked")].map(b => Number(b.dataset.layer));
  chart.show({ metric: influence.report.metric, rows: influence.report.layers, layers, labels: influence.labels });
}

// ---- errors ----
/** The page control a server `param` names, so the error can point at it. */
function controlFor(param: string | null): HTMLElement | null {
  if (!param) return null;
  const substring = /^steering\.substrings\[(\d+)\]/.exec(param);
  if (substring) return document.querySelector(`#substring-${substring[1]} button`);
  const message = /^messages\[(\d+)\]/.exec(param);
  if (message) return sentEditors()[Number(message[1])]?.text ?? null;
  const ids: [string, string][] = [
    ["steering.head_config", "head-config"], ["steering.alpha", "alpha"], ["steering.scale_position", "scale-position"],
    ["steering.delta_influence", "delta-influence"], ["steering.delta", "delta"], ["steering.steer_decode", "steer-decode"],
    ["steering.influence", "metric"], ["max_completion_tokens", "max-tokens"], ["temperature", "temperature"], ["seed", "seed"], ["model", "model"],
  ];
  const hit = ids.find(([prefix]) => param === prefix || param.startsWith(prefix + ".") || param.startsWith(prefix + "["));
  return hit ? $(hit[1]) : null;
}

function clearInvalid() {
  document.querySelectorAll("[aria-invalid=true]").forEach(e => e.removeAttribute("aria-invalid"));
}

function showError(box: HTMLElement, e: unknown) {
  const param = e instanceof ApiError || e instanceof FormError ? e.param : null;
  const message = e instanceof Error ? e.message : String(e);
  box.replaceChildren(el("span", { className: "message", textContent: message }));
  if (e instanceof ApiError) box.prepend(el("strong", { textContent: `${e.status}${e.type ? ` ${e.type}` : ""}` }), " ");
  if (e instanceof ApiError && e.status === 401) {
    const go = el("button", { type: "button", className: "small", textContent: "Enter the API key" });
    go.addEventListener("click", () => keyInput.focus());
    box.append(" ", go);
  }
  if (param) {
    box.append(" ", el("span", { className: "param" }, "param: ", el("code", { textContent: param })));
    const control = controlFor(param);
    if (control) {
      control.setAttribute("aria-invalid", "true");
      const go = el("button", { type: "button", className: "small", textContent: "Go to field" });
      go.addEventListener("click", () => { control.closest("details")?.setAttribute("open", ""); control.focus(); });
      box.append(" ", go);
    }
  }
  box.hidden = false;
}

// ---- copy the request ----
const tabs = $("lang-tabs");
for (const { id, label } of LANGUAGES) {
  const tab = el("button", { type: "button", textContent: label });
  tab.setAttribute("role", "tab");
  tab.dataset.lang = id;
  tab.addEventListener("click", () => { language = id; renderCode(); });
  tab.addEventListener("keydown", e => {
    const step = e.key === "ArrowRight" ? 1 : e.key === "ArrowLeft" ? -1 : 0;
    if (!step) return;
    const all = [...tabs.querySelectorAll<HTMLButtonElement>("button")];
    const next = all[(all.indexOf(tab) + step + all.length) % all.length];
    next.focus();
    next.click();
  });
  tabs.append(tab);
}
$("request-which").addEventListener("change", renderCode);

function renderCode() {
  tabs.querySelectorAll<HTMLButtonElement>("button").forEach(t => {
    const selected = t.dataset.lang === language;
    t.setAttribute("aria-selected", String(selected));
    t.tabIndex = selected ? 0 : -1;
  });
  const body = sent[$<HTMLSelectElement>("request-which").value as Which];
  $("code").firstElementChild!.textContent = body
    ? snippet(language, apiUrl("v1/chat/completions"), body, keyInput.value !== "")
    : "Run (or Measure) to see the request.";
}

$("copy").addEventListener("click", async () => {
  const text = $("code").textContent ?? "";
  const button = $<HTMLButtonElement>("copy");
  try {
    await navigator.clipboard.writeText(text);
    button.textContent = "Copied";
  } catch {
    // No clipboard API outside a secure context (plain http on another host): select the text for Ctrl+C.
    const range = document.createRange();
    range.selectNodeContents($("code"));
    getSelection()?.removeAllRanges();
    getSelection()?.addRange(range);
    button.textContent = "Selected: press Ctrl+C";
  }
  setTimeout(() => (button.textContent = "Copy"), 1500);
});

// ---- start ----
addMessage("system", "");
addMessage("user", "Once upon a time, there was a little girl named Lily. She loved to play with her dog");
renderCode();
void loadModels();
