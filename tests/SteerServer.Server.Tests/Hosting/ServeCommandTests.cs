using SteerServer.Models.Errors;
using SteerServer.Server.Cli;

namespace SteerServer.Server.Tests.Hosting;

/// <summary><c>serve</c> flags are names for configuration keys; nothing else.</summary>
public sealed class ServeCommandTests
{
    [Fact]
    public void Flags_MapToConfigurationKeys()
    {
        var args = ServeCommand.ToConfigurationArgs(["--model", "/m", "--max-batch", "4", "--urls", "http://127.0.0.1:9", "--api-key", "a,b", "--log-format", "json", "--log-prompts"]);
        Assert.Contains("--SteerServer:Model:Path=/m", args);
        Assert.Contains("--SteerServer:Queue:MaxBatch=4", args);
        Assert.Contains("--urls=http://127.0.0.1:9", args);
        Assert.Contains("--SteerServer:Auth:ApiKeys:0=a", args);
        Assert.Contains("--SteerServer:Auth:ApiKeys:1=b", args);
        Assert.Contains("--SteerServer:Logging:LogPrompts=true", args);
        Assert.Contains("--SteerServer:Logging:Format=json", args);
    }

    [Fact]
    public void NoFlags_NoSettings() => Assert.Empty(ServeCommand.ToConfigurationArgs([])); // the CLI has no defaults of its own

    [Fact]
    public void ConfigurationKeys_PassThrough() =>
        Assert.Equal(["--SteerServer:Queue:MaxQueue=3"], ServeCommand.ToConfigurationArgs(["--SteerServer:Queue:MaxQueue=3"]));

    [Fact]
    public void UnknownFlag_Refused() =>
        Assert.Contains("--max-bacth", Assert.Throws<SteerException>(() => ServeCommand.ToConfigurationArgs(["--max-bacth", "4"])).Message);
}
