using System.Diagnostics;
using System.Text.RegularExpressions;
using SteerServer.TestData;

namespace SteerServer.Server.Tests.Infrastructure;

/// <summary>
/// The real binary as users run it (<c>dotnet SteerServer.dll COMMAND FLAGS</c>), for what only a separate process
/// shows: the command line, --help, exit codes, environment variables such as ASPNETCORE_URLS, the working
/// directory, signals and the console log. Every stdout/stderr line is kept.
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
        var server = Launch(new[] { "serve", "--model", TestDataPaths.Models(ServerFactory.ModelName), "--urls", "http://127.0.0.1:0" }.Concat(flags), environment);
        await server.WaitListeningAsync();
        return server;
    }

    /// <summary>
    /// Runs the binary with <paramref name="args"/> as they are, without waiting for anything. The test run's own
    /// ASPNETCORE_* address and environment variables are not passed on: only <paramref name="environment"/> chooses.
    /// </summary>
    public static ServerProcess Launch(IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null, string? workingDirectory = null)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory ?? TestDataPaths.RepoRoot,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var name in new[] { "ASPNETCORE_URLS", "ASPNETCORE_HTTP_PORTS", "ASPNETCORE_ENVIRONMENT" }) info.Environment.Remove(name);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) info.Environment[name] = value;
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "SteerServer.dll"));
        foreach (var a in args) info.ArgumentList.Add(a);
        var server = new ServerProcess(new Process { StartInfo = info });
        server.process.OutputDataReceived += (_, e) => server.Add(e.Data);
        server.process.ErrorDataReceived += (_, e) => server.Add(e.Data);
        server.process.Start();
        server.process.BeginOutputReadLine();
        server.process.BeginErrorReadLine();
        return server;
    }

    /// <summary>Waits for "Now listening on http://127.0.0.1:PORT" and then for <c>/health</c>; fails with the output if the process ends first.</summary>
    public async Task WaitListeningAsync()
    {
        var exited = process.WaitForExitAsync();
        var first = await Task.WhenAny(listening.Task, exited, Task.Delay(TimeSpan.FromMinutes(2)));
        if (first != listening.Task)
            throw new InvalidOperationException("the server did not start listening:\n" + Output);
        Address = await listening.Task;
        Http = new HttpClient { BaseAddress = Address, Timeout = TimeSpan.FromMinutes(2) };
        await Health.WaitReadyAsync(Http);
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await process.WaitForExitAsync(cts.Token);
        process.WaitForExit(); // drains the redirected streams
        return process.ExitCode;
    }

    /// <summary>SIGTERM, as docker stop and Kubernetes send: the server drains and exits.</summary>
    public void Terminate()
    {
        using var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    public IReadOnlyList<string> Lines
    {
        get { lock (lines) return [.. lines]; }
    }

    public string Output => string.Join('\n', Lines);

    /// <summary>Waits until a line satisfies <paramref name="match"/> (the request log is written after the response body).</summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> match)
    {
        for (int i = 0; i < 600; i++)
        {
            var found = Lines.FirstOrDefault(match);
            if (found is not null) return found;
            await Task.Delay(50);
        }
        throw new InvalidOperationException("no such log line in:\n" + Output);
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
