using SteerServer.Models.Kernels;

namespace SteerServer.Steering.Profiling;

/// <summary>Everything <c>profile</c> takes on the command line.</summary>
/// <param name="Model">model directory or HF id</param>
/// <param name="TasksPath">the JSONL task file</param>
/// <param name="OutPath">the result JSON (rankings, head_config, evaluation)</param>
public sealed record ProfileSettings(string Model, string TasksPath, string OutPath)
{
    public ProfileOptions Options { get; init; } = new();

    /// <summary>The head set alone (<c>{"layer": [heads]}</c>), for the server; null = OutPath with extension <c>.head_config.json</c>.</summary>
    public string? HeadConfigOutPath { get; init; }

    /// <summary>The resumable score log; null = OutPath with extension <c>.scores.jsonl</c>.</summary>
    public string? SidecarPath { get; init; }

    public DType? DType { get; init; }

    public int? Threads { get; init; }

    /// <summary>Engine (<c>--backend</c>) and its device (<c>--device</c>, null = the backend's default).</summary>
    public string Backend { get; init; } = Models.Inference.BackendFactories.Default;

    public string? Device { get; init; }

    /// <summary>Discard an existing score log instead of resuming from it.</summary>
    public bool Fresh { get; init; }

    /// <summary>Also measure the union head set and all heads against no steering (2 extra passes per example).</summary>
    public bool Evaluate { get; init; } = true;

    /// <summary>A head_config file to evaluate on the tasks instead of profiling (<see cref="ProfileRunner.Evaluate"/>).</summary>
    public string? EvaluateHeadConfigPath { get; init; }

    public string ResolvedHeadConfigOutPath => HeadConfigOutPath ?? Path.ChangeExtension(OutPath, ".head_config.json");

    public string ResolvedSidecarPath => SidecarPath ?? Path.ChangeExtension(OutPath, ".scores.jsonl");
}
