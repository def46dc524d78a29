namespace SteerServer.Server.Cli;

internal static class BenchCommand
{
    public static int Run(string[] args)
    {
        Console.Error.WriteLine("error: 'bench' is not available yet in this build");
        return 2;
    }
}
