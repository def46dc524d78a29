using System.Text.Json.Nodes;
using SteerServer.Models.Checkpoints;
using SteerServer.Models.Errors;
using SteerServer.TestData;

namespace SteerServer.Models.Tests.Checkpoints;

public class ModelConfigTests
{
    private static JsonObject Base() => JsonNode.Parse(File.ReadAllText(Path.Combine(TestDataPaths.Models("tiny-qwen3"), "config.json")))!.AsObject();

    [Fact]
    public void Load_TinyQwen3_ReadsExplicitHeadDimAndEos()
    {
        var c = ModelConfig.Load(TestDataPaths.Models("tiny-qwen3"));
        Assert.Equal(32, c.HeadDim); // explicit, ≠ 64 / 4
        Assert.Equal(2, c.KvGroups);
        Assert.Equal([2], c.EosTokenIds);
        Assert.Equal(1, c.BosTokenId);
        Assert.Null(c.SlidingWindow);
        Assert.False(c.TieWordEmbeddings);
    }

    [Fact]
    public void SlidingWindow_OnlyWhenUsed()
    {
        Assert.Equal(6, ModelConfig.Load(TestDataPaths.Models("tiny-mistral")).SlidingWindow);
        Assert.Null(ModelConfig.Load(TestDataPaths.Models("tiny-qwen2")).SlidingWindow); // use_sliding_window: false
    }

    [Fact]
    public void EosList_FromGenerationConfig_WinsOverConfig()
    {
        var gen = new JsonObject { ["eos_token_id"] = new JsonArray(128001, 128008, 128009), ["bos_token_id"] = 128000 };
        var c = ModelConfig.FromJson(Base(), gen, "config.json");
        Assert.Equal([128001, 128008, 128009], c.EosTokenIds);
        Assert.Equal(128000, c.BosTokenId);
    }

    [Fact]
    public void HeadDim_DerivedWhenAbsent()
    {
        var root = Base();
        root.Remove("head_dim");
        Assert.Equal(16, ModelConfig.FromJson(root, null, "config.json").HeadDim);
    }

    [Fact]
    public void UnknownRopeScaling_IsRejected()
    {
        var root = Base();
        root["rope_scaling"] = new JsonObject { ["rope_type"] = "yarn", ["factor"] = 4.0 };
        var e = Assert.Throws<SteerException>(() => ModelConfig.FromJson(root, null, "x/config.json"));
        Assert.Equal(ErrorKind.InvalidModel, e.Kind);
        Assert.Contains("x/config.json", e.Message);
        Assert.Contains("yarn", e.Message);
    }

    [Fact]
    public void WrongType_NamesKey()
    {
        var root = Base();
        root["hidden_size"] = "big";
        var e = Assert.Throws<SteerException>(() => ModelConfig.FromJson(root, null, "config.json"));
        Assert.Contains("hidden_size", e.Message);
    }
}
