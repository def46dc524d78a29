namespace SteerServer.Server.Options;

/// <summary>Section <c>SteerServer:Model</c>: which checkpoint to serve and how to run it.</summary>
public sealed class ModelOptions
{
    public const string Section = "SteerServer:Model";

    /// <summary>A Hugging Face model directory, or a model id resolved in (or downloaded into) the HF cache.</summary>
    public string Path { get; set; } = "";

    /// <summary>The name clients send as <c>model</c>; empty: the id or the directory's name.</summary>
    public string Name { get; set; } = "";

    /// <summary>Weight dtype at load: empty = as stored, or f32, bf16, f16, q8_0, q4.</summary>
    public string DType { get; set; } = "";

    /// <summary>Compute threads; 0 = the engine's default (all cores).</summary>
    public int Threads { get; set; }

    /// <summary>Engine: "cpu" (built in) or another backend's name, e.g. "torch" (see BackendFactories).</summary>
    public string Backend { get; set; } = "cpu";

    /// <summary>Device for the backend, e.g. "cuda:0"; empty = the backend's default.</summary>
    public string Device { get; set; } = "";

    /// <summary>Context length in tokens; 0 = the model's <c>max_position_embeddings</c>.</summary>
    public int MaxContext { get; set; }

    /// <summary>
    /// A JSON file holding the default PASTA <c>head_config</c> for this model
    /// (<c>{"layer": [heads]}</c> or <c>[layers]</c>); empty = none.
    /// </summary>
    public string DefaultHeadConfig { get; set; } = "";

    /// <summary>A JSON file holding the default <c>steering</c> object used when a request sends none; empty = none.</summary>
    public string DefaultSteering { get; set; } = "";
}
