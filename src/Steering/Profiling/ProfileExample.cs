using SteerServer.Steering.Spans;

namespace SteerServer.Steering.Profiling;

/// <summary>
/// One tokenized task example: the prompt the model sees, the continuation it should produce, and the
/// prompt token ranges of the emphasised substrings (PASTA's k ranges).
/// </summary>
/// <param name="Task">task name (rankings are per task)</param>
/// <param name="Source">where it came from, for messages (e.g. <c>tasks.jsonl:12</c>)</param>
/// <param name="PromptIds">prompt token ids, BOS included</param>
/// <param name="TargetIds">target token ids (at least one)</param>
/// <param name="Ranges">prompt token ranges of the substrings, in order</param>
public sealed record ProfileExample(string Task, string Source, int[] PromptIds, int[] TargetIds, TokenRange[] Ranges);
