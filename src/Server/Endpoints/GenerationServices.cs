using Microsoft.Extensions.Options;
using SteerServer.Server.Hosting;
using SteerServer.Server.Observability;
using SteerServer.Server.Options;
using SteerServer.Server.Worker;

namespace SteerServer.Server.Endpoints;

/// <summary>The dependencies of the generation endpoints, injected as one <c>[AsParameters]</c> object (eShop style).</summary>
public sealed class GenerationServices(
    ModelHost host, RequestQueue queue, ServerMetrics metrics, IOptions<QueueOptions> queueOptions,
    IOptions<LoggingOptions> loggingOptions, ILogger<GenerationServices> logger)
{
    public ModelHost Host { get; } = host;
    public RequestQueue Queue { get; } = queue;
    public ServerMetrics Metrics { get; } = metrics;
    public QueueOptions QueueOptions { get; } = queueOptions.Value;
    public LoggingOptions LoggingOptions { get; } = loggingOptions.Value;
    public ILogger Logger { get; } = logger;
}
