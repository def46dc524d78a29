using System.Text.Json;
using SteerServer.Server.Contracts;
using SteerServer.Server.Errors;
using SteerServer.Server.Hub;
using SteerServer.Server.Observability;
using SteerServer.Server.Options;
using SteerServer.Server.Worker;

namespace SteerServer.Server.Hosting;

/// <summary>Everything the server registers, so that <c>Program</c> stays a list of Add…/Map… calls.</summary>
public static class ServiceRegistration
{
    public static WebApplicationBuilder AddSteerServer(this WebApplicationBuilder builder)
    {
        builder.AddSteerServerLogging();
        builder.AddSteerServerTelemetry();
        var services = builder.Services;
        services.AddOptions<ModelOptions>().BindConfiguration(ModelOptions.Section)
            .Validate(o => o.Threads >= 0 && o.MaxContext >= 0, "SteerServer:Model:Threads and MaxContext must be ≥ 0").ValidateOnStart();
        services.AddOptions<QueueOptions>().BindConfiguration(QueueOptions.Section)
            .Validate(o => o.MaxBatch > 0 && o.MaxQueue > 0 && o.MaxKvTokens >= 0 && o.RequestTimeoutSeconds >= 0 && o.DrainTimeoutSeconds >= 0 && o.RetryAfterSeconds > 0,
                "SteerServer:Queue: MaxBatch, MaxQueue and RetryAfterSeconds must be > 0; MaxKvTokens and the timeouts ≥ 0").ValidateOnStart()
            .Validate(o => o.MaxStepTokens >= o.MaxBatch && o.InfluenceMemoryMb >= 0 && o.TargetStepMs >= 0,
                "SteerServer:Queue: MaxStepTokens must be ≥ MaxBatch (every running sequence decodes each step); InfluenceMemoryMb and TargetStepMs ≥ 0").ValidateOnStart();
        services.AddOptions<LimitsOptions>().BindConfiguration(LimitsOptions.Section)
            .Validate(o => o.MaxN > 0 && o.MaxPrompts > 0 && o.MaxSequences > 0, "SteerServer:Limits: MaxN, MaxPrompts and MaxSequences must be > 0").ValidateOnStart();
        services.AddOptions<AuthOptions>().BindConfiguration(AuthOptions.Section);
        services.AddOptions<LoggingOptions>().BindConfiguration(LoggingOptions.Section);
        services.AddOptions<HubOptions>().BindConfiguration(HubOptions.Section);
        services.Configure<HostOptions>(o =>
        {
            // Long enough for the worker's drain; it cancels what is left itself.
            var drain = builder.Configuration.GetValue($"{QueueOptions.Section}:DrainTimeoutSeconds", 30);
            o.ShutdownTimeout = TimeSpan.FromSeconds(drain + 5);
        });

        services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
            o.SerializerOptions.NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.Strict;
            o.SerializerOptions.TypeInfoResolverChain.Insert(0, ApiJsonContext.Default);
        });
        services.AddProblemDetails();
        services.AddExceptionHandler<SteerExceptionHandler>();
        services.AddSingleton<ErrorWriter>();


        services.AddHttpClient(ModelLocator.HttpClientName, c => c.Timeout = TimeSpan.FromMinutes(10))
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false });
        services.AddSingleton<ModelLocator>();
        services.AddSingleton<ModelHost>();
        services.AddSingleton<ModelLoader>();
        services.AddSingleton<RequestQueue>();
        services.AddSingleton<InfluenceBudget>();
        services.AddHostedService<ModelWorker>();

        services.AddEndpointsApiExplorer();
        services.AddSwaggerGen(o =>
        {
            o.SwaggerDoc("v1", new Microsoft.OpenApi.OpenApiInfo
            {
                Title = "SteerServer",
                Version = "v1",
                Description = "OpenAI-compatible inference with attention steering (PASTA, GUIDE, Influence) through the 'steering' request field.",
            });
            o.SchemaFilter<SteeringSchemaFilter>();
            o.OperationFilter<RequestBodyOperationFilter>();
        });
        return builder;
    }
}
