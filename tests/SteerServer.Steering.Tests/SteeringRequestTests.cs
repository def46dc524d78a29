using System.Text.Json.Nodes;
using System.Text.Json;
using SteerServer.Models.Errors;

namespace SteerServer.Steering.Tests;

public class SteeringRequestTests
{
    private static readonly SteeringLimits Stories = new(5, 8);

    private static SteeringRequest? Parse(string json, SteeringLimits? limits = null) =>
        SteeringRequest.Parse(JsonDocument.Parse(json).RootElement, limits);

    private static SteerException Fails(string json, SteeringLimits? limits = null) =>
        Assert.Throws<SteerException>(() => Parse(json, limits));

    [Fact]
    public void Parse_FullObject_ReadsEveryField()
    {
        var r = Parse("""{"substrings":["a","b","a"],"head_config":{"1":[0,3,3],"3":[5]},"alpha":0.5,"scale_position":"include","delta":2,"influence":"attention_rollout","delta_influence":1.5,"steer_decode":false}""")!;
        Assert.Equal(["a", "b", "a"], r.Substrings); // a duplicate counts twice
        Assert.Equal(0.5, r.Alpha);
        Assert.Equal(ScalePosition.Include, r.ScalePosition);
        Assert.Equal(2.0, r.Delta);
        Assert.Equal(InfluenceMetric.AttentionRollout, r.Influence);
        Assert.Equal(1.5, r.DeltaInfluence);
        Assert.False(r.SteerDecode);
        var heads = r.HeadConfig!.Resolve(Stories);
        Assert.Equal([1, 3], heads.Keys);
        Assert.Equal([0, 3], heads[1]); // duplicated heads count once
        Assert.Equal([5], heads[3]);
    }

    [Fact]
    public void Parse_Defaults_MatchApi()
    {
        var r = Parse("{}")!;
        Assert.Empty(r.Substrings);
        Assert.Null(r.HeadConfig);
        Assert.Equal(0.01, r.Alpha);
        Assert.Equal(ScalePosition.Exclude, r.ScalePosition);
        Assert.Equal(1.0, r.Delta);
        Assert.Null(r.Influence);
        Assert.Equal(0.0, r.DeltaInfluence);
        Assert.True(r.SteerDecode);
        Assert.False(r.IsDisabled);
    }

    [Fact]
    public void Parse_StringSubstring_IsOneSpan() => Assert.Equal(["girl"], Parse("""{"substrings":"girl"}""")!.Substrings);

    [Fact]
    public void Parse_FalseNullAbsent_DisabledOrDefault()
    {
        Assert.True(Parse("false")!.IsDisabled);
        Assert.Null(Parse("null"));
        Assert.Null(SteeringRequest.Parse(default(JsonElement)));
        Assert.Null(SteeringRequest.Parse((JsonNode?)null));
        Assert.Equal(0.5, SteeringRequest.Parse(JsonNode.Parse("""{"alpha":0.5}"""))!.Alpha);
    }

    [Fact]
    public void Parse_ListHeadConfig_IntOrStringLayers_AllHeads()
    {
        var heads = Parse("""{"head_config":[0,"2",2]}""")!.HeadConfig!.Resolve(Stories);
        Assert.Equal([0, 2], heads.Keys);
        Assert.Equal([0, 1, 2, 3, 4, 5, 6, 7], heads[2]);
    }

    [Theory]
    [InlineData("""{"head_config":{"12":[0]}}""", "steering.head_config.12", "5 layers")]
    [InlineData("""{"head_config":{"1":[0,1,2,8]}}""", "steering.head_config.1[3]", "8 attention")]
    [InlineData("""{"head_config":[0,5]}""", "steering.head_config[1]", "5 layers")]
    [InlineData("""{"head_config":["7"]}""", "steering.head_config[0]", "(0..4)")]
    public void Parse_OutOfRangeLayerOrHead_NamesPathAndLimits(string json, string param, string limitText)
    {
        var ex = Fails(json, Stories);
        Assert.Equal(param, ex.Param);
        Assert.Equal(ErrorKind.InvalidRequest, ex.Kind);
        Assert.Contains(limitText, ex.Message);
        // Without limits the same request parses; the planner checks it against the model.
        Assert.NotNull(Parse(json));
    }

    [Theory]
    [InlineData("""{"alpha":0}""", "steering.alpha")]
    [InlineData("""{"alpha":-0.5}""", "steering.alpha")]
    [InlineData("""{"alpha":"0.1"}""", "steering.alpha")]
    [InlineData("""{"alpha":1e400}""", "steering.alpha")]
    [InlineData("""{"delta":null}""", "steering.delta")]
    [InlineData("""{"delta_influence":true}""", "steering.delta_influence")]
    [InlineData("""{"substrings":["ok",""]}""", "steering.substrings[1]")]
    [InlineData("""{"substrings":["ok",3]}""", "steering.substrings[1]")]
    [InlineData("""{"substrings":{"a":1}}""", "steering.substrings")]
    [InlineData("""{"substrings":""}""", "steering.substrings")]
    [InlineData("""{"head_config":{"x":[0]}}""", "steering.head_config.x")]
    [InlineData("""{"head_config":{"-1":[0]}}""", "steering.head_config.-1")]
    [InlineData("""{"head_config":{"1":[0,-3]}}""", "steering.head_config.1[1]")]
    [InlineData("""{"head_config":{"1":[0.5]}}""", "steering.head_config.1[0]")]
    [InlineData("""{"head_config":{"1":3}}""", "steering.head_config.1")]
    [InlineData("""{"head_config":[true]}""", "steering.head_config[0]")]
    [InlineData("""{"head_config":"all"}""", "steering.head_config")]
    [InlineData("""{"scale_position":"both"}""", "steering.scale_position")]
    [InlineData("""{"influence":"rollout"}""", "steering.influence")]
    [InlineData("""{"steer_decode":"no"}""", "steering.steer_decode")]
    [InlineData("""{"substring":"typo"}""", "steering.substring")]
    [InlineData("true", "steering")]
    [InlineData("[1]", "steering")]
    public void Parse_InvalidValue_400NamingJsonPath(string json, string param)
    {
        var ex = Fails(json);
        Assert.Equal(ErrorKind.InvalidRequest, ex.Kind);
        Assert.Equal(param, ex.Param);
        Assert.Contains(param, ex.Message);
    }

    [Fact]
    public void Parse_AlphaOne_IsAccepted() => Assert.Equal(1.0, Parse("""{"alpha":1}""")!.Alpha);

    [Fact]
    public void Parse_InvalidJsonText_400() =>
        Assert.Equal("steering", Assert.Throws<SteerException>(() => SteeringRequest.Parse("{oops")).Param);
}
