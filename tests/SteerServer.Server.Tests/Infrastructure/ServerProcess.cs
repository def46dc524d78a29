using System.Diagnostics;
using System.Text.RegularExpressions;
using SteerServer.TestData;

namespace SteerServer.Server.Tests.Infrastructure;

/// <summary>
/// The real binary as users run it (<c>dotnet SteerServer.dll serve FLAGS</c>) on 127.0.0.1, for what only a
/// separate process shows: the command line and the console log. Every stdout/stderr line is kept.
/// </summary>
public sealed partial class ServerProcess : IAsyncDisposable
{
    private readonly Process process;
    private readonly List<string> lines = [];
    private readonly TaskCompletionSource<Uri> listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ServerProcess(Process process) => this.process = process;

    public Uri Address { get; private set; } = null!;

    public HttpClient Http { get; private set; } = null!;

    /// <summary>Starts <c>serve --model stories260K --urls http://127.0.0.1:0</c> plus <paramref name="flags"/>, and waits for <c>/health</c>.</summary>
    public static Task<ServerProcess> StartAsync(params string[] flags) => StartAsync(new Dictionary<string, string>(), flags);

    /// <summary>The same with extra environment variables (e.g. OpenTelemetry's <c>OTEL_*</c>).</summary>
    public static async Task<ServerProcess> StartAsync(IReadOnlyDictionary<string, string> environment, params string[] flags)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = TestDataPaths.RepoRoot,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (name, value) in environment) info.Environment[name] = value;
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "SteerServer.dll"));
        foreach (var a in new[] { "serve", "--model", TestDataPaths.Models(ServerFactory.ModelName), "--urls", "http://127.0.0.1:0" }.Concat(flags))
            info.ArgumentList.Add(a);
        var server = new ServerProcess(new Process { StartInfo = info });
        server.process.OutputDataReceived += (_, e) => server.Add(e.Data);
        server.process.ErrorDataReceived += (_, e) => server.Add(e.Data);
        server.process.Start();
        server.process.BeginOutputReadLine();
        server.process.BeginErrorReadLine();
        var exited = server.process.WaitForExitAsync();
        var first = await Task.WhenAny(server.listening.Task, exited, Task.Delay(TimeSpan.FromMinutes(2)));
        if (first != server.listening.Task)
        {
            await server.DisposeAsync();
            throw new InvalidOperationException("the server did not start listening:\n" + string.Join('\n', server.Lines));
        }
        server.Address = await server.listening.Task;
        server.Http = new HttpClient { BaseAddress = server.Address, Timeout = TimeSpan.FromMinutes(2) };
        await Health.WaitReadyAsync(server.Http);
        return server;
    }

    public IReadOnlyList<string> Lines
    {
        get { lock (lines) return [.. lines]; }
    }

    /// <summary>Waits until a line satisfies <paramref name="match"/> (the request log is written after the response body).</summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> match)
    {
        for (int i = 0; i < 600; i++)
        {
            var found = Lines.FirstOrDefault(match);
            if (found is not null) return found;
            await Task.Delay(50);
        }
        throw new InvalidOperationException("no such log line in:\n" + string.Join('\n', Lines));
    }

    private void Add(string? line)
    {
        if (line is null) return;
        lock (lines) lines.Add(line);
        // "Now listening on: http://127.0.0.1:PORT" in the text format; the same words and an "address" property in JSON.
        if (line.Contains("Now listening on", StringComparison.Ordinal) && Url().Match(line) is { Success: true } m)
            listening.TrySetResult(new Uri(m.Value));
    }

    [GeneratedRegex(@"http://127\.0\.0\.1:\d+")]
    private static partial Regex Url();

    public async ValueTask DisposeAsync()
    {
        Http?.Dispose();
        if (!process.HasExited) process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync();
        process.Dispose();
    }
}
