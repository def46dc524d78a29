namespace SteerServer.Server.Hosting;

/// <summary>Token ids of a prompt and the code-point <c>[start, end)</c> of each in the tokenized text.</summary>
public sealed record PromptEncoding(int[] Ids, IReadOnlyList<(int Start, int End)> Offsets);
