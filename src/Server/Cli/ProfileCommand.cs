namespace SteerServer.Server.Cli;

internal static class ProfileCommand
{
    public static int Run(string[] args)
    {
        Console.Error.WriteLine("error: 'profile' is not available yet in this build");
        return 2;
    }
}
