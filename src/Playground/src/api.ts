// The public API, and nothing else: /v1/models, /v1/chat/completions (SSE), /tokenize.

export interface ModelCard {
  id: string;
  max_model_len: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  num_key_value_heads: number;
  default_head_config: Record<string, number[]> | null;
}

export interface SteeredSpan { text: string; source: "substring" | "guide"; token_start: number; token_end: number; offset: number }
export interface SteeringApplied { spans: SteeredSpan[]; layers: number; heads: number }
export interface Influence { metric: string; tokens: number[]; layers: number[][] }
export interface Tokenized { tokens: number[]; token_strs: string[]; offsets: [number, number][]; count: number; max_model_len: number; prompt?: string }

/** An error in OpenAI's shape, as the server sent it (before the stream or inside it). */
export class ApiError extends Error {
  constructor(message: string, readonly status: number, readonly type: string | null, readonly param: string | null, readonly code: string | null) {
    super(message);
  }
}

let apiKey = "";
export function setApiKey(key: string) { apiKey = key; }

/** Absolute URL of an API route, relative to where the page is served (works behind a path prefix too). */
export function apiUrl(route: string): string {
  return new URL(route, document.baseURI).href;
}

function headers(json: boolean): HeadersInit {
  const h: Record<string, string> = {};
  if (json) h["Content-Type"] = "application/json";
  if (apiKey) h["Authorization"] = `Bearer ${apiKey}`;
  return h;
}

async function errorFrom(response: Response): Promise<ApiError> {
  const text = await response.text();
  try {
    const e = JSON.parse(text).error;
    if (e && typeof e.message === "string") return new ApiError(e.message, response.status, e.type ?? null, e.param ?? null, e.code ?? null);
  } catch { /* not JSON: fall through */ }
  return new ApiError(`${response.status} ${response.statusText}: ${text.slice(0, 300)}`, response.status, null, null, null);
}

async function request<T>(route: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  const response = await fetch(apiUrl(route), {
    method: body === undefined ? "GET" : "POST",
    headers: headers(body !== undefined),
    body: body === undefined ? undefined : JSON.stringify(body),
    signal,
  });
  if (!response.ok) throw await errorFrom(response);
  return await response.json() as T;
}

export const listModels = () => request<{ data: ModelCard[] }>("v1/models").then(r => r.data);
export const tokenize = (body: unknown, signal?: AbortSignal) => request<Tokenized>("tokenize", body, signal);

export interface StreamEvents {
  onText(delta: string): void;
  /** The last chunk before usage carries steering_applied and influence (API.md). */
  onFinish(finishReason: string, steeringApplied: SteeringApplied | null, influence: Influence | null): void;
  onUsage(promptTokens: number, completionTokens: number): void;
}

/** POST /v1/chat/completions with stream: true and reads the SSE events to [DONE]. */
export async function streamChat(body: unknown, events: StreamEvents, signal?: AbortSignal): Promise<void> {
  const response = await fetch(apiUrl("v1/chat/completions"), { method: "POST", headers: headers(true), body: JSON.stringify(body), signal });
  if (!response.ok) throw await errorFrom(response);
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    let end: number;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const event = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = event.split("\n").filter(l => l.startsWith("data:")).map(l => l.slice(5).trimStart()).join("\n");
      if (!data) continue;
      if (data === "[DONE]") return;
      const chunk = JSON.parse(data);
      if (chunk.error) throw new ApiError(chunk.error.message, response.status, chunk.error.type ?? null, chunk.error.param ?? null, chunk.error.code ?? null);
      for (const choice of chunk.choices ?? []) {
        if (choice.delta?.content) events.onText(choice.delta.content);
        if (choice.finish_reason) events.onFinish(choice.finish_reason, chunk.steering_applied ?? null, chunk.influence ?? null);
      }
      if (chunk.usage) events.onUsage(chunk.usage.prompt_tokens, chunk.usage.completion_tokens);
    }
  }
  throw new ApiError("The stream ended without [DONE].", response.status, null, null, null);
}
