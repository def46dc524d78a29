// The request the page sent, as code for curl, Python (openai, extra_body), TypeScript (openai npm) and C# (OpenAI .NET, Patch).
// Each snippet sends exactly `body` (the .NET SDK adds stream and stream_options itself, with the same values).

export type Language = "curl" | "python" | "typescript" | "csharp";
export const LANGUAGES: { id: Language; label: string }[] = [
  { id: "curl", label: "curl" }, { id: "python", label: "Python" }, { id: "typescript", label: "TypeScript" }, { id: "csharp", label: "C#" },
];

export interface ChatBody {
  model: string;
  messages: { role: string; content: string }[];
  temperature: number;
  max_completion_tokens: number;
  seed: number;
  stream: true;
  stream_options: { include_usage: true };
  steering: unknown;
}

export function snippet(language: Language, url: string, body: ChatBody, withKey: boolean): string {
  switch (language) {
    case "curl": return curl(url, body, withKey);
    case "python": return python(url, body);
    case "typescript": return typescript(url, body);
    case "csharp": return csharp(url, body);
  }
}

const json = (v: unknown) => JSON.stringify(v, null, 2);
const indent = (text: string, by: string) => text.split("\n").join("\n" + by);
const baseUrl = (url: string) => url.replace(/\/chat\/completions$/, "");

function curl(url: string, body: ChatBody, withKey: boolean): string {
  const quoted = "'" + json(body).replaceAll("'", "'\\''") + "'";
  return [
    `curl -N ${url} \\`,
    `  -H 'Content-Type: application/json' \\`,
    ...(withKey ? [`  -H "Authorization: Bearer $OPENAI_API_KEY" \\`] : []),
    `  -d ${quoted}`,
  ].join("\n");
}

/** A JSON value as a Python literal (True/False/None; JSON string escapes are valid Python). */
function py(v: unknown, pad = ""): string {
  if (v === null) return "None";
  if (v === true) return "True";
  if (v === false) return "False";
  if (typeof v !== "object") return JSON.stringify(v);
  const inner = pad + "    ";
  if (Array.isArray(v)) return v.length === 0 ? "[]" : `[\n${v.map(x => inner + py(x, inner)).join(",\n")},\n${pad}]`;
  const entries = Object.entries(v as Record<string, unknown>);
  return entries.length === 0 ? "{}" : `{\n${entries.map(([k, x]) => `${inner}${JSON.stringify(k)}: ${py(x, inner)}`).join(",\n")},\n${pad}}`;
}

function python(url: string, body: ChatBody): string {
  const { steering, ...standard } = body;
  const args = Object.entries(standard).map(([k, v]) => `    ${k}=${py(v, "    ")},`);
  return `import os
from openai import OpenAI

client = OpenAI(base_url=${JSON.stringify(baseUrl(url))}, api_key=os.environ.get("OPENAI_API_KEY", "none"))
stream = client.chat.completions.create(
${args.join("\n")}
    extra_body={"steering": ${py(steering, "    ")}},  # SteerServer's extension field
)
for chunk in stream:
    for choice in chunk.choices:
        print(choice.delta.content or "", end="")
    if (chunk.model_extra or {}).get("steering_applied"):  # extension keys ride on the last chunk
        print("\\nsteering_applied:", chunk.model_extra["steering_applied"])`;
}

function typescript(url: string, body: ChatBody): string {
  return `import OpenAI from "openai";
import type { ChatCompletionCreateParamsStreaming } from "openai/resources/chat/completions";

const client = new OpenAI({ baseURL: ${JSON.stringify(baseUrl(url))}, apiKey: process.env.OPENAI_API_KEY ?? "none" });
// \`steering\` is SteerServer's extension field; the SDK sends extra properties as they are.
const params: ChatCompletionCreateParamsStreaming & { steering: unknown } = ${indent(json(body), "")};
const stream = await client.chat.completions.create(params);
for await (const chunk of stream) process.stdout.write(chunk.choices[0]?.delta?.content ?? "");`;
}

const cs = (s: string) => JSON.stringify(s); // JSON string escapes are valid C# escapes
const csFloat = (x: number) => `${Number.isInteger(x) ? x.toFixed(0) : String(x)}f`;
const csMessage: Record<string, string> = { system: "SystemChatMessage", user: "UserChatMessage", assistant: "AssistantChatMessage" };

function csharp(url: string, body: ChatBody): string {
  const messages = body.messages.map(m => `    new ${csMessage[m.role] ?? "UserChatMessage"}(${cs(m.content)}),`).join("\n");
  return `// dotnet add package OpenAI  (2.6 or later for Patch; avoid 2.9.0, which drops it)
using System.ClientModel;
using OpenAI;
using OpenAI.Chat;

var client = new ChatClient(
    model: ${cs(body.model)},
    credential: new ApiKeyCredential(Environment.GetEnvironmentVariable("OPENAI_API_KEY") ?? "none"),
    options: new OpenAIClientOptions { Endpoint = new Uri(${cs(baseUrl(url))}) });
List<ChatMessage> messages =
[
${messages}
];
var options = new ChatCompletionOptions { Temperature = ${csFloat(body.temperature)}, MaxOutputTokenCount = ${body.max_completion_tokens} };
#pragma warning disable OPENAI001, SCME0001 // Seed and Patch are marked experimental
options.Seed = ${body.seed};
options.Patch.Set("$.steering"u8, BinaryData.FromString("""${JSON.stringify(body.steering)}"""));
await foreach (var update in client.CompleteChatStreamingAsync(messages, options))
{
    if (update.Patch.Contains("$.error"u8)) throw new InvalidOperationException(update.Patch.GetJson("$.error"u8).ToString());
    foreach (var part in update.ContentUpdate) Console.Write(part.Text);
}
#pragma warning restore OPENAI001, SCME0001`;
}
