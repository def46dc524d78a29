namespace SteerServer.Server.Tests.Infrastructure;

/// <summary>The app with two API keys configured.</summary>
public sealed class AuthServerFactory() : ServerFactory(new Dictionary<string, string?>
{
    ["SteerServer:Auth:ApiKeys:0"] = Key,
    ["SteerServer:Auth:ApiKeys:1"] = "second-key",
})
{
    public const string Key = "test-key-0123456789";
}
