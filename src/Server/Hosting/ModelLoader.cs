using System.Text.Json;
using Microsoft.Extensions.Options;
using SteerServer.Models.Errors;
using SteerServer.Models.Inference;
using SteerServer.Models.Kernels;
using SteerServer.Server.Hub;
using SteerServer.Server.Options;
using SteerServer.Steering;
using SteerServer.Steering.Preparation;

namespace SteerServer.Server.Hosting;

/// <summary>Builds the <see cref="ServedModel"/> from <see cref="ModelOptions"/>: locate (or download), load weights, tokenizer, template, steering defaults.</summary>
public sealed class ModelLoader(IOptions<ModelOptions> options, ModelHost host, ModelLocator locator, ILogger<ModelLoader> logger)
{
    public async Task<ServedModel> LoadAsync(CancellationToken cancellationToken)
    {
        var o = options.Value;
        var dir = await locator.LocateAsync(o.Path, cancellationToken);
        var loadOptions = new ModelLoadOptions
        {
            DType = ParseDType(o.DType),
            Threads = o.Threads > 0 ? o.Threads : null,
            Backend = string.IsNullOrWhiteSpace(o.Backend) ? BackendFactories.Default : o.Backend,
            Device = string.IsNullOrWhiteSpace(o.Device) ? null : o.Device,
        };
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var model = await Task.Run(() => Model.Load(dir, loadOptions), cancellationToken);
        try
        {
            var config = model.Config;
            int maxContext = o.MaxContext > 0 ? o.MaxContext : config.MaxPositionEmbeddings;
            if (maxContext > config.MaxPositionEmbeddings)
                throw SteerException.InvalidModel("SteerServer:Model:MaxContext", $"{maxContext} exceeds the model's max_position_embeddings ({config.MaxPositionEmbeddings})");
            HeadConfig? defaultHeads = null;
            if (!string.IsNullOrEmpty(o.DefaultHeadConfig))
                defaultHeads = HeadConfig.Parse(ReadFile(o.DefaultHeadConfig, "SteerServer:Model:DefaultHeadConfig"), "SteerServer:Model:DefaultHeadConfig");
            JsonElement defaultSteering = default;
            if (!string.IsNullOrEmpty(o.DefaultSteering))
            {
                using var doc = JsonDocument.Parse(ReadFile(o.DefaultSteering, "SteerServer:Model:DefaultSteering"));
                defaultSteering = doc.RootElement.Clone();
            }
            // Parses the default steering once: a bad file fails the start, not every request.
            var pipeline = PromptPipeline.Load(dir, config, maxContext, defaultHeads, defaultSteering, "SteerServer:Model:DefaultSteering");
            logger.LogInformation(
                "Loaded {Name} from {Dir} in {Seconds:F1} s: {Architecture}, {Layers} layers, {Heads} heads ({KvHeads} KV), vocab {Vocab}, context {Context}, backend {Backend} on {Device}, dtype {DType}",
                host.Name, dir, System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds, config.Architecture, config.NumHiddenLayers,
                config.NumAttentionHeads, config.NumKeyValueHeads, config.VocabSize, maxContext, model.Backend.Info.Name, model.Backend.Info.Device, model.Backend.Info.DType);
            return new ServedModel(host.Name, model, pipeline);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    private static DType? ParseDType(string value) => value.ToLowerInvariant() switch
    {
        "" or "auto" => null,
        "q8" => DType.Q8_0,
        _ => DTypeNames.TryParse(value, out var dtype) ? dtype
            : throw SteerException.InvalidModel("SteerServer:Model:DType", $"unknown dtype '{value}'; use f32, bf16, f16, q8_0 or q4"),
    };

    private static string ReadFile(string path, string key) =>
        File.Exists(path) ? File.ReadAllText(path) : throw SteerException.InvalidModel(key, $"file not found: {path}");
}
