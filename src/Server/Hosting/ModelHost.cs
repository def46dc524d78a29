using Microsoft.Extensions.Options;
using SteerServer.Models.Errors;
using SteerServer.Server.Options;

namespace SteerServer.Server.Hosting;

/// <summary>
/// Holds the served model and its state for the whole app. The name is known from configuration before the
/// model loads, so a request for another model is a 404 even while loading; the right model while loading or
/// draining is a 503 with Retry-After.
/// </summary>
public sealed class ModelHost(IOptions<ModelOptions> options)
{
    private volatile ServedModel? model;
    private volatile int state = (int)ModelState.Loading;

    /// <summary>The served id: <c>SteerServer:Model:Name</c>, else the model path's id or directory name.</summary>
    public string Name { get; } = NameOf(options.Value);

    public ModelState State => (ModelState)state;

    public ServedModel? Model => model;

    public string? FailureMessage { get; private set; }

    private readonly TaskCompletionSource failure = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when loading fails (<c>serve</c> then exits non-zero; tests keep the 503s).</summary>
    public Task Failure => failure.Task;

    public void SetReady(ServedModel loaded)
    {
        model = loaded;
        state = (int)ModelState.Ready;
    }

    public void SetFailed(string message)
    {
        FailureMessage = message;
        state = (int)ModelState.Failed;
        failure.TrySetResult();
    }

    public void SetDraining()
    {
        if (State == ModelState.Ready || State == ModelState.Loading) state = (int)ModelState.Draining;
    }

    public bool Matches(string requested) =>
        string.Equals(requested, Name, StringComparison.Ordinal) || string.Equals(requested, options.Value.Path, StringComparison.Ordinal);

    /// <summary>The loaded model for a request naming <paramref name="requested"/>: 404 for another name, 503 when not ready.</summary>
    public ServedModel Require(string requested)
    {
        if (!Matches(requested)) throw SteerException.ModelNotFound(requested);
        return Ready();
    }

    /// <summary>The loaded model (routes without a model field), or 503.</summary>
    public ServedModel Ready() => State switch
    {
        ModelState.Ready when model is { } m => m,
        ModelState.Loading => throw Unavailable("The model is still loading; retry shortly."),
        ModelState.Draining => throw Unavailable("The server is shutting down and accepts no new requests."),
        _ => throw Unavailable($"The model failed to load: {FailureMessage}"),
    };

    private static SteerException Unavailable(string message) => new(ErrorKind.Unavailable, message, null, "service_unavailable");

    private static string NameOf(ModelOptions o)
    {
        if (!string.IsNullOrEmpty(o.Name)) return o.Name;
        if (string.IsNullOrEmpty(o.Path)) return "model";
        if (!Directory.Exists(o.Path) && Hub.HubCache.IsRepoId(o.Path)) return o.Path; // a Hub id: serve it under that id
        return System.IO.Path.GetFileName(System.IO.Path.TrimEndingDirectorySeparator(System.IO.Path.GetFullPath(o.Path)));
    }
}
