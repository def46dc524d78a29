namespace SteerServer.Server.Cli;

internal static class TokenizeCommand
{
    public static int Run(string[] args)
    {
        Console.Error.WriteLine("error: 'tokenize' is not available yet in this build");
        return 2;
    }
}
