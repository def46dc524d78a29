using System.Net;
using SteerServer.Server.Tests.Infrastructure;

namespace SteerServer.Server.Tests.Api;

/// <summary>
/// Every bad input gets its own OpenAI-shaped 4xx naming the parameter (never a 5xx: SDKs retry those), and the
/// server keeps serving afterwards.
/// </summary>
public sealed class ValidationTests(ServerFactory factory) : IClassFixture<ServerFactory>
{
    private const string Chat = "/v1/chat/completions";
    private const string Completions = "/v1/completions";
    private const string M = "\"model\":\"stories260K\"";
    private const string Hi = "\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]";

    private async Task<HttpResponseMessage> PostAsync(string path, string json) =>
        await factory.CreateClient().PostAsync(path, Json.Body(json), Ct.Token);

    [Fact]
    public async Task Chat_MalformedJson_400WithoutParam() =>
        await ApiErrors.AssertAsync(await PostAsync(Chat, "{\"model\": \"stories260K\", \"messages\": ["), HttpStatusCode.BadRequest, null, "invalid_json");

    [Fact]
    public async Task Chat_BodyNotAnObject_400() =>
        await ApiErrors.AssertAsync(await PostAsync(Chat, "[1,2]"), HttpStatusCode.BadRequest, null);

    [Fact]
    public async Task Chat_TemperatureAsString_400NamesTemperature() =>
        await ApiErrors.AssertAsync(await PostAsync(Chat, $"{{{M},{Hi},\"temperature\":\"0.5\"}}"), HttpStatusCode.BadRequest, "temperature", "invalid_type");

    [Fact]
    public async Task Chat_MaxTokensNotInteger_400NamesMaxTokens() =>
        await ApiErrors.AssertAsync(await PostAsync(Chat, $"{{{M},{Hi},\"max_tokens\":1.5}}"), HttpStatusCode.BadRequest, "max_tokens", "invalid_type");

    [Fact]
    public async Task Chat_MessagesNotAnArray_400NamesMessages() =>
        await ApiErrors.AssertAsync(await PostAsync(Chat, $"{{{M},\"messages\":\"Hi\"}}"), HttpStatusCode.BadRequest, "messages", "invalid_type");

    [Fact]
    public async Task Chat_ContentNumber_400NamesContent() =>
        await ApiErrors.AssertAsync(await PostAsync(Chat, $"{{{M},\"messages\":[{{\"role\":\"user\",\"content\":42}}]}}"), HttpStatusCode.BadRequest, "messages[0].content", "invalid_type");

    [Fact]
    public async Task Chat_MissingModel_400NamesModel() =>
        await ApiErrors.AssertAsync(await PostAsync(Chat, $"{{{Hi}}}"), HttpStatusCode.BadRequest, "model", "missing_required_parameter");

    [Fact]
    public async Task Chat_MissingMessages_400NamesMessages() =>
        await ApiErrors.AssertAsync(await PostAsync(Chat, $"{{{M}}}"), HttpStatusCode.BadRequest, "messages", "missing_required_parameter");

    [Fact]
    public async Task Chat_EmptyMessages_400NamesMessages() =>
        await ApiErrors.AssertAsync(await PostAsync(Chat, $"{{{M},\"messages\":[]}}"), HttpStatusCode.BadRequest, "messages", "empty_array");

    [Fact]
    public async Task Chat_UnknownRole_400NamesRole() =>
        await ApiErrors.AssertAsync(await PostAsync(Chat, $"{{{M},\"messages\":[{{\"role\":\"user\",\"content\":\"a\"}},{{\"role\":\"wizard\",\"content\":\"b\"}}]}}"),
            HttpStatusCode.BadRequest, "messages[1].role");

    [Fact]
    public async Task Chat_ImageContentPart_400NamesPartType() =>
        await ApiErrors.AssertAsync(await PostAsync(Chat,
            $"{{{M},\"messages\":[{{\"role\":\"user\",\"content\":[{{\"type\":\"text\",\"text\":\"see\"}},{{\"type\":\"image_url\",\"image_url\":{{\"url\":\"http://x/y.png\"}}}}]}}]}}"),
            HttpStatusCode.BadRequest, "messages[0].content[1].type", "unsupported_parameter");

    [Fact]
    public async Task Chat_UserContentNull_400NamesContent() =>
        await ApiErrors.AssertAsync(await PostAsync(Chat, $"{{{M},\"messages\":[{{\"role\":\"user\",\"content\":null}}]}}"), HttpStatusCode.BadRequest, "messages[0].content");

    [Fact]
    public async Task Chat_ToolMessageWithoutId_400NamesToolCallId() =>
        await ApiErrors.AssertAsync(await PostAsync(Chat, $"{{{M},\"messages\":[{{\"role\":\"tool\",\"content\":\"42\"}}]}}"), HttpStatusCode.BadRequest, "messages[0].tool_call_id");

    [Fact]
    public async Task Chat_UnknownModel_404ModelNotFound() =>
        await ApiErrors.AssertAsync(await PostAsync(Chat, $"{{\"model\":\"gpt-17\",{Hi}}}"), HttpStatusCode.NotFound, "model", "model_not_found");

    [Theory]
    [InlineData("temperature", "2.5")]
    [InlineData("temperature", "-0.1")]
    [InlineData("top_p", "1.5")]
    [InlineData("top_p", "0")]
    [InlineData("min_p", "1.1")]
    [InlineData("presence_penalty", "3")]
    [InlineData("frequency_penalty", "-2.5")]
    [InlineData("n", "0")]
    [InlineData("n", "129")]
    [InlineData("top_k", "-2")]
    [InlineData("max_tokens", "0")]
    [InlineData("max_completion_tokens", "-1")]
    public async Task Chat_OutOfRange_400NamesParameter(string param, string value) =>
        await ApiErrors.AssertAsync(await PostAsync(Chat, $"{{{M},{Hi},\"{param}\":{value}}}"), HttpStatusCode.BadRequest, param, "invalid_value");

    [Fact]
    public async Task Chat_TopLogprobsAbove20_400() =>
        await ApiErrors.AssertAsync(await PostAsync(Chat, $"{{{M},{Hi},\"logprobs\":true,\"top_logprobs\":21}}"), HttpStatusCode.BadRequest, "top_logprobs");

    [Fact]
    public async Task Chat_TopLogprobsWithoutLogprobs_400() =>
        await ApiErrors.AssertAsync(await PostAsync(Chat, $"{{{M},{Hi},\"top_logprobs\":2}}"), HttpStatusCode.BadRequest, "top_logprobs");

    [Fact]
    public async Task Chat_FiveStopSequences_400NamesStop() =>
        await ApiErrors.AssertAsync(await PostAsync(Chat, $"{{{M},{Hi},\"stop\":[\"a\",\"b\",\"c\",\"d\",\"e\"]}}"), HttpStatusCode.BadRequest, "stop");

    [Fact]
    public async Task Chat_StopNotAString_400NamesStopItem() =>
        await ApiErrors.AssertAsync(await PostAsync(Chat, $"{{{M},{Hi},\"stop\":[\"a\",3]}}"), HttpStatusCode.BadRequest, "stop[1]", "invalid_type");

    [Fact]
    public async Task Chat_StreamOptionsWithoutStream_400() =>
        await ApiErrors.AssertAsync(await PostAsync(Chat, $"{{{M},{Hi},\"stream_options\":{{\"include_usage\":true}}}}"), HttpStatusCode.BadRequest, "stream_options");

    [Fact]
    public async Task Chat_LogitBiasOutsideVocabulary_400NamesToken() =>
        await ApiErrors.AssertAsync(await PostAsync(Completions, $"{{{M},\"prompt\":\"Once\",\"logit_bias\":{{\"9999\":5}}}}"), HttpStatusCode.BadRequest, "logit_bias.9999");

    [Fact]
    public async Task Chat_LogitBiasOutOfRange_400NamesToken() =>
        await ApiErrors.AssertAsync(await PostAsync(Chat, $"{{{M},{Hi},\"logit_bias\":{{\"5\":101}}}}"), HttpStatusCode.BadRequest, "logit_bias.5");

    [Theory]
    [InlineData("tools", "[{\"type\":\"function\",\"function\":{\"name\":\"f\"}}]")]
    [InlineData("tool_choice", "\"required\"")]
    [InlineData("response_format", "{\"type\":\"json_object\"}")]
    [InlineData("audio", "{\"voice\":\"alloy\",\"format\":\"wav\"}")]
    [InlineData("modalities", "[\"text\",\"audio\"]")]
    [InlineData("functions", "[{\"name\":\"f\"}]")]
    public async Task Chat_UnsupportedParameter_400UnsupportedParameter(string param, string value) =>
        await ApiErrors.AssertAsync(await PostAsync(Chat, $"{{{M},{Hi},\"{param}\":{value}}}"), HttpStatusCode.BadRequest, param, "unsupported_parameter");

    [Theory]
    [InlineData("echo", "true")]
    [InlineData("best_of", "3")]
    [InlineData("suffix", "\"end\"")]
    public async Task Completions_UnsupportedParameter_400UnsupportedParameter(string param, string value) =>
        await ApiErrors.AssertAsync(await PostAsync(Completions, $"{{{M},\"prompt\":\"Once\",\"{param}\":{value}}}"), HttpStatusCode.BadRequest, param, "unsupported_parameter");

    [Fact]
    public async Task Completions_MissingPrompt_400NamesPrompt() =>
        await ApiErrors.AssertAsync(await PostAsync(Completions, $"{{{M}}}"), HttpStatusCode.BadRequest, "prompt", "missing_required_parameter");

    [Fact]
    public async Task Completions_MixedPromptArray_400NamesItem() =>
        await ApiErrors.AssertAsync(await PostAsync(Completions, $"{{{M},\"prompt\":[\"a\",[1,2]]}}"), HttpStatusCode.BadRequest, "prompt[1]", "invalid_type");

    [Fact]
    public async Task Completions_TokenIdOutsideVocabulary_400NamesToken() =>
        await ApiErrors.AssertAsync(await PostAsync(Completions, $"{{{M},\"prompt\":[1,403,100000]}}"), HttpStatusCode.BadRequest, "prompt[2]");

    [Fact]
    public async Task Completions_LogprobsAbove5_400() =>
        await ApiErrors.AssertAsync(await PostAsync(Completions, $"{{{M},\"prompt\":\"Once\",\"logprobs\":6}}"), HttpStatusCode.BadRequest, "logprobs");

    [Fact]
    public async Task Completions_PromptOverContext_400ContextLengthExceeded()
    {
        var ids = string.Join(',', Enumerable.Repeat(403, 600));
        await ApiErrors.AssertAsync(await PostAsync(Completions, $"{{{M},\"prompt\":[{ids}]}}"), HttpStatusCode.BadRequest, "prompt", "context_length_exceeded");
    }

    [Fact]
    public async Task Completions_PromptPlusMaxTokensOverContext_400ContextLengthExceeded() =>
        await ApiErrors.AssertAsync(await PostAsync(Completions, $"{{{M},\"prompt\":\"Once upon a time\",\"max_tokens\":510}}"), HttpStatusCode.BadRequest, "max_tokens", "context_length_exceeded");

    [Fact]
    public async Task UnknownRoute_404InOpenAiShape() =>
        await ApiErrors.AssertAsync(await factory.CreateClient().GetAsync("/v1/nothing-here", Ct.Token), HttpStatusCode.NotFound, null, "not_found");

    [Fact]
    public async Task GetModel_Unknown_404ModelNotFound() =>
        await ApiErrors.AssertAsync(await factory.CreateClient().GetAsync("/v1/models/nope", Ct.Token), HttpStatusCode.NotFound, "model", "model_not_found");

    [Fact]
    public async Task BadInputs_ThenGoodRequest_StillServed()
    {
        await PostAsync(Chat, "{");
        await PostAsync(Chat, $"{{{M},\"messages\":[]}}");
        await PostAsync(Completions, $"{{{M},\"prompt\":\"Once\",\"steering\":{{\"alpha\":0}}}}");
        var body = await Json.PostAsync(factory.CreateClient(), Completions, $"{{{M},\"prompt\":\"Once upon a time\",\"max_tokens\":4,\"temperature\":0}}", Ct.Token);
        Assert.Equal("length", body.GetProperty("choices")[0].GetProperty("finish_reason").GetString());
    }
}
