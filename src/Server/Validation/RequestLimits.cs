using SteerServer.Models.Errors;
using SteerServer.Server.Options;

namespace SteerServer.Server.Validation;

/// <summary>The configured request-size limits (<see cref="LimitsOptions"/>), checked before any prompt work.</summary>
public static class RequestLimits
{
    /// <param name="prompts">prompts in the request (1 for chat)</param>
    public static void Check(LimitsOptions limits, int prompts, int n)
    {
        if (prompts > limits.MaxPrompts)
            throw SteerException.InvalidRequest(
                $"Invalid 'prompt': {prompts} prompts is more than this server's limit of {limits.MaxPrompts} per request ({LimitsOptions.Section}:MaxPrompts).", "prompt");
        if (n > limits.MaxN)
            throw SteerException.InvalidRequest(
                $"Invalid 'n': {n} is more than this server's limit of {limits.MaxN} ({LimitsOptions.Section}:MaxN).", "n");
        if ((long)prompts * n > limits.MaxSequences)
            throw SteerException.InvalidRequest(
                $"Invalid 'n': {prompts} prompts × n = {n} is {(long)prompts * n} sequences, more than this server's limit of {limits.MaxSequences} per request ({LimitsOptions.Section}:MaxSequences).", "n");
    }
}
