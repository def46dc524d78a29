using SteerServer.Models.Generation;

namespace SteerServer.Server.Tests.Generation;

public sealed class StopMatcherTests
{
    private static (string Emitted, bool Matched) Run(string[] stops, params string[] deltas)
    {
        var m = new StopMatcher(stops);
        var emitted = string.Concat(deltas.Select(m.Push));
        bool matched = m.Matched;
        return (emitted + m.Flush(), matched);
    }

    [Fact]
    public void SplitAcrossDeltas_CutExactly() => Assert.Equal(("Hello ", true), Run(["wor"], "Hel", "lo w", "o", "rld"));

    [Fact]
    public void PrefixNeverCompleted_ReleasedAtEnd() => Assert.Equal(("Hello wo", false), Run(["world"], "Hello ", "w", "o"));

    [Fact]
    public void HeldTextReleased_WhenTheStopCannotFollow()
    {
        var m = new StopMatcher(["abc"]);
        Assert.Equal("x", m.Push("xa"));   // "a" held: it may start "abc"
        Assert.Equal("ax", m.Push("x"));   // "ax" cannot: released
        Assert.False(m.Matched);
    }

    [Fact]
    public void EarliestOfSeveralStops_Wins() => Assert.Equal(("The ", true), Run(["dog", "cat"], "The cat and the dog"));

    [Fact]
    public void AfterMatch_NothingMore() => Assert.Equal(("a", true), Run(["b"], "ab", "cde"));

    [Fact]
    public void NoStops_PassThrough() => Assert.Equal(("abc", false), Run([], "a", "b", "c"));
}
