using System.Text.Json.Nodes;

namespace SteerServer.Steering.Profiling;

/// <summary>
/// One line of a task file, validated but not tokenized:
/// <c>{"task": "name", "prompt": "text" | "messages": [...], "substrings": ["..."], "target": "continuation"}</c>.
/// </summary>
/// <param name="Source">file and line, e.g. <c>tasks.jsonl:12</c>, for messages</param>
/// <param name="Prompt">raw prompt text (tokenized as is, BOS added as the tokenizer does); null when <paramref name="Messages"/> is given</param>
/// <param name="Messages">chat messages, rendered with the model's chat template and the generation prompt</param>
/// <param name="Substrings">text to emphasise, each found (first occurrence) in the prompt or the message contents</param>
/// <param name="Target">the continuation the model should produce right after the prompt</param>
public sealed record ProfileTaskLine(string Source, string Task, string? Prompt, JsonArray? Messages, IReadOnlyList<string> Substrings, string Target);
