using System.Text.Json;
using SteerServer.Models.Inference;
using SteerServer.Models.Tokenization;
using SteerServer.Steering;

namespace SteerServer.Server.Hosting;

/// <summary>The loaded model and everything requests need from it. Read-only after load; shared by all requests.</summary>
public sealed class ServedModel(string name, Model model, Tokenizer tokenizer, PromptRenderer prompts, int maxContext,
    SteeringLimits steeringLimits, JsonElement defaultSteering) : IDisposable
{
    /// <summary>The id clients send as <c>model</c>.</summary>
    public string Name { get; } = name;
    public Model Model { get; } = model;
    public Tokenizer Tokenizer { get; } = tokenizer;
    public PromptRenderer Prompts { get; } = prompts;

    /// <summary>Prompt plus generated tokens may not exceed this.</summary>
    public int MaxContext { get; } = maxContext;

    public SteeringLimits SteeringLimits { get; } = steeringLimits;

    /// <summary>The <c>steering</c> object used when a request sends none (Undefined = none configured).</summary>
    public JsonElement DefaultSteering { get; } = defaultSteering;

    public long Created { get; } = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    public void Dispose() => Model.Dispose();
}
