using SteerServer.Models.Inference;
using SteerServer.Models.Tokenization;
using SteerServer.Steering.Preparation;

namespace SteerServer.Server.Hosting;

/// <summary>The loaded model and everything requests need from it. Read-only after load; shared by all requests.</summary>
public sealed class ServedModel(string name, Model model, PromptPipeline pipeline) : IDisposable
{
    /// <summary>The id clients send as <c>model</c>.</summary>
    public string Name { get; } = name;
    public Model Model { get; } = model;

    /// <summary>Prompt → tokens → steering plan, the same as <c>generate</c> and <c>profile</c> use.</summary>
    public PromptPipeline Pipeline { get; } = pipeline;

    public Tokenizer Tokenizer => Pipeline.Tokenizer;

    /// <summary>Prompt plus generated tokens may not exceed this.</summary>
    public int MaxContext => Pipeline.ContextLength;

    public long Created { get; } = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    public void Dispose() => Model.Dispose();
}
