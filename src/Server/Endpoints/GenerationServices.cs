using Microsoft.Extensions.Options;
using SteerServer.Server.Hosting;
using SteerServer.Server.Observability;
using SteerServer.Server.Options;
using SteerServer.Server.Worker;

namespace SteerServer.Server.Endpoints;

/// <summary>The dependencies of the generation endpoints, injected as one <c>[AsParameters]</c> object (eShop style).</summary>
public sealed record GenerationServices(
    ModelHost Host,
    RequestQueue Queue,
    InfluenceBudget InfluenceBudget,
    ServerMetrics Metrics,
    IOptions<QueueOptions> QueueOptions,
    IOptions<LimitsOptions> LimitsOptions,
    IOptions<LoggingOptions> LoggingOptions,
    ILogger<GenerationServices> Logger)
{
    /// <summary>The prompt as the model sees it (template applied, tags removed), only with <c>--log-prompts</c>.</summary>
    public void LogPrompt(HttpContext context, ServedModel model, IReadOnlyList<int> ids)
    {
        if (LoggingOptions.Value.LogPrompts)
            Logger.LogInformation("{RequestId} prompt ({PromptTokens} tokens): {Prompt}", context.TraceIdentifier, ids.Count, model.Tokenizer.Decode(ids, false));
    }
}
