using SteerServer.Models.Errors;
using SteerServer.Server.Cli;

// One binary: `serve` (default), `generate`, `tokenize`, `bench`, `profile`.
var command = args.Length > 0 && !args[0].StartsWith('-') ? args[0] : "serve";
var rest = args.Length > 0 && !args[0].StartsWith('-') ? args[1..] : args;
if (CliHelp.Requested(rest))
{
    if (CliHelp.For(command) is not { } help) return Usage($"unknown command '{command}'");
    Console.WriteLine(args.Length > 0 && args[0].StartsWith('-') ? CliHelp.Overview + "\n\n" + help : help);
    return 0;
}
try
{
    return command switch
    {
        "serve" => await ServeCommand.RunAsync(rest),
        "generate" => await GenerateCommand.RunAsync(rest),
        "tokenize" => TokenizeCommand.Run(rest),
        "bench" => BenchCommand.Run(rest),
        "profile" => ProfileCommand.Run(rest),
        _ => Usage($"unknown command '{command}'"),
    };
}
catch (SteerException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 2;
}

static int Usage(string problem)
{
    Console.Error.WriteLine($"error: {problem}");
    Console.Error.WriteLine(CliHelp.Usage);
    return 2;
}

/// <summary>Exposed for WebApplicationFactory in tests.</summary>
public partial class Program;
