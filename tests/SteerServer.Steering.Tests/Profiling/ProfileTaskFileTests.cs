using SteerServer.Models.Errors;
using SteerServer.Steering.Profiling;

namespace SteerServer.Steering.Tests.Profiling;

public class ProfileTaskFileTests
{
    [Fact]
    public void ParsesPromptAndMessagesLines()
    {
        var lines = ProfileTaskFile.Parse(
            "{\"task\":\"t\",\"prompt\":\"Lily had a cat.\",\"substrings\":[\"cat\"],\"target\":\" cat\"}\n\n// comment\n" +
            "{\"task\":\"u\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi Tom\"}],\"substrings\":\"Tom\",\"target\":\"Tom\"}\n", "f.jsonl");
        Assert.Equal(2, lines.Count);
        Assert.Equal("f.jsonl:1", lines[0].Source);
        Assert.Equal(["cat"], lines[0].Substrings);
        Assert.Null(lines[0].Messages);
        Assert.Equal("f.jsonl:4", lines[1].Source);
        Assert.NotNull(lines[1].Messages);
    }

    [Theory]
    [InlineData("{\"task\":\"t\",\"prompt\":\"a\",\"substrings\":[],\"target\":\"b\"}", "'substrings' must not be empty")]
    [InlineData("{\"task\":\"t\",\"prompt\":\"a\",\"substrings\":[\"a\"]}", "'target' must be a string")]
    [InlineData("{\"task\":\"t\",\"substrings\":[\"a\"],\"target\":\"b\"}", "exactly one of 'prompt' or 'messages'")]
    [InlineData("{\"task\":\"t\",\"prompt\":\"a\",\"substring\":[\"a\"],\"target\":\"b\"}", "unknown field 'substring'")]
    [InlineData("{\"task\":\"t\",", "not valid JSON")]
    public void BadLinesNameTheLineAndTheProblem(string line, string expected)
    {
        var e = Assert.Throws<SteerException>(() => ProfileTaskFile.Parse("\n" + line, "f.jsonl"));
        Assert.Contains("f.jsonl:2", e.Message);
        Assert.Contains(expected, e.Message);
    }
}
