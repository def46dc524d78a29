namespace SteerServer.Server.Tests.Infrastructure;

/// <summary>A cancellation token for one test call: a hung server fails the test instead of hanging the run.</summary>
public static class Ct
{
    public static CancellationToken Token => new CancellationTokenSource(TimeSpan.FromMinutes(2)).Token;
}
