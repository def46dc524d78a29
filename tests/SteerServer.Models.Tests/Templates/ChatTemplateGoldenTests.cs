using SteerServer.Models.Errors;
using SteerServer.Models.Templates;

namespace SteerServer.Models.Tests.Templates;

/// <summary>Every golden of shared/testdata/chat-templates, one theory row per jsonl line.</summary>
public class ChatTemplateGoldenTests
{
    public static IEnumerable<object[]> RenderCases => ChatTemplateCases.Ids(ChatTemplateCases.Cases, errors: false);
    public static IEnumerable<object[]> ErrorCases => ChatTemplateCases.Ids(ChatTemplateCases.Cases, errors: true);
    public static IEnumerable<object[]> E2eCases => ChatTemplateCases.Ids(ChatTemplateCases.HfjsE2e);
    public static IEnumerable<object[]> FeatureCases => ChatTemplateCases.Ids(ChatTemplateCases.Features);

    [Theory]
    [MemberData(nameof(RenderCases))]
    public void Cases_Render_MatchesGolden(string id)
    {
        var row = ChatTemplateCases.Get(ChatTemplateCases.Cases, id);
        var template = ChatTemplate.Parse((string)row["template"]!);
        Assert.Equal((string)row["expected"]!, template.Render(ChatTemplateCases.Context(row)));
    }

    [Theory]
    [MemberData(nameof(ErrorCases))]
    public void Cases_ExpectedError_RaisesTemplateMessage(string id)
    {
        var row = ChatTemplateCases.Get(ChatTemplateCases.Cases, id);
        var template = ChatTemplate.Parse((string)row["template"]!);
        var e = Assert.Throws<SteerException>(() => template.Render(ChatTemplateCases.Context(row)));
        Assert.Equal(ErrorKind.InvalidRequest, e.Kind);
        Assert.Contains((string)row["expected_error"]!, e.Message);
        Assert.Matches(@"line \d+", e.Message);
    }

    [Theory]
    [MemberData(nameof(E2eCases))]
    public void HfjsE2e_Render_MatchesGolden(string id)
    {
        var row = ChatTemplateCases.Get(ChatTemplateCases.HfjsE2e, id);
        var template = ChatTemplate.Parse((string)row["template"]!);
        Assert.Equal((string)row["expected"]!, template.Render(ChatTemplateCases.Context(row)));
    }

    [Theory]
    [MemberData(nameof(FeatureCases))]
    public void JinjaFeatures_Render_MatchesPython(string name)
    {
        var row = ChatTemplateCases.Get(ChatTemplateCases.Features, name);
        var context = ChatTemplateCases.FeatureContext(row);
        if (row["expected_error"] is { } expectedError)
        {
            // Python raised; the message text need not match (README), the failure must happen.
            var e = Assert.Throws<SteerException>(() => ChatTemplate.Parse((string)row["template"]!).Render(context));
            Assert.Equal(ErrorKind.InvalidRequest, e.Kind);
            Assert.False(string.IsNullOrEmpty((string?)expectedError));
            return;
        }
        var template = ChatTemplate.Parse((string)row["template"]!);
        Assert.Equal((string)row["expected"]!, template.Render(context));
    }
}
