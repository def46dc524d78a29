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
    ServerMetrics Metrics,
    IOptions<QueueOptions> QueueOptions,
    IOptions<LoggingOptions> LoggingOptions,
    ILogger<GenerationServices> Logger);
