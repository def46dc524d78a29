namespace SteerServer.Server.Cli;

internal static class GenerateCommand
{
    public static Task<int> RunAsync(string[] args)
    {
        Console.Error.WriteLine("error: 'generate' is not available yet in this build");
        return Task.FromResult(2);
    }
}
