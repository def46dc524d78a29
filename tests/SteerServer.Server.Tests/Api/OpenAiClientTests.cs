using System.ClientModel;
using System.ClientModel.Primitives;
using System.Text.Json;
using OpenAI;
using OpenAI.Chat;
using OpenAI.Models;
using SteerServer.Server.Tests.Infrastructure;

namespace SteerServer.Server.Tests.Api;

/// <summary>The official OpenAI .NET client against a real Kestrel on 127.0.0.1: chat, streaming, steering via Patch, models.</summary>
public sealed class OpenAiClientTests : IAsyncLifetime
{
    private KestrelServer server = null!;

    public async Task InitializeAsync() => server = await KestrelServer.StartAsync();

    public async Task DisposeAsync() => await server.DisposeAsync();

    private OpenAIClientOptions Options() => new() { Endpoint = server.V1, RetryPolicy = new ClientRetryPolicy(0) };

    private ChatClient Chat() => new("stories260K", new ApiKeyCredential("no-key-needed"), Options());

    private static ChatCompletionOptions Greedy(int maxTokens) => new() { MaxOutputTokenCount = maxTokens, Temperature = 0f };

    private async Task<string> CompletionTextAsync(int maxTokens)
    {
        var body = await Json.PostAsync(server.Http, "/v1/completions",
            $"{{\"model\":\"stories260K\",\"prompt\":\"Once upon a time\",\"max_tokens\":{maxTokens},\"temperature\":0}}", Ct.Token);
        return body.GetProperty("choices")[0].GetProperty("text").GetString()!;
    }

    [Fact]
    public async Task CompleteChat_PlainFormatPrompt_SameAsCompletion()
    {
        ChatCompletion completion = await Chat().CompleteChatAsync([new UserChatMessage("Once upon a time")], Greedy(12), Ct.Token);
        Assert.Equal(await CompletionTextAsync(12), completion.Content[0].Text);
        Assert.Equal(ChatFinishReason.Length, completion.FinishReason);
        Assert.Equal(ChatMessageRole.Assistant, completion.Role);
        Assert.Equal(12, completion.Usage.OutputTokenCount);
        Assert.Equal(5, completion.Usage.InputTokenCount);
    }

    [Fact]
    public async Task CompleteChatStreaming_TextAndUsage()
    {
        var text = new System.Text.StringBuilder();
        ChatTokenUsage? usage = null;
        ChatFinishReason? finish = null;
        int updates = 0;
        await foreach (var update in Chat().CompleteChatStreamingAsync([new UserChatMessage("Once upon a time")], Greedy(20), Ct.Token))
        {
            updates++;
            foreach (var part in update.ContentUpdate) text.Append(part.Text);
            usage ??= update.Usage;
            finish ??= update.FinishReason;
        }
        Assert.True(updates > 3);
        Assert.Equal(await CompletionTextAsync(20), text.ToString());
        Assert.Equal(ChatFinishReason.Length, finish);
        Assert.NotNull(usage); // the SDK always asks for include_usage when streaming
        Assert.Equal(20, usage!.OutputTokenCount);
    }

#pragma warning disable SCME0001 // JsonPatch is experimental in the SDK
    [Fact]
    public async Task Steering_ThroughPatch_SteeringAppliedReadBack()
    {
        var options = Greedy(8);
        options.Patch.Set("$.steering"u8, BinaryData.FromString("{\"substrings\":[\"upon\"],\"head_config\":{\"2\":[1,4]},\"alpha\":0.05}"));
        ChatCompletion completion = await Chat().CompleteChatAsync([new UserChatMessage("Once upon a time")], options, Ct.Token);
        Assert.Equal(8, completion.Usage.OutputTokenCount);
        var applied = JsonDocument.Parse(completion.Patch.GetJson("$.steering_applied"u8).ToString()).RootElement;
        var span = Assert.Single(applied.GetProperty("spans").EnumerateArray());
        Assert.Equal("upon", span.GetProperty("text").GetString());
        Assert.Equal("substring", span.GetProperty("source").GetString());
        Assert.Equal(2, span.GetProperty("token_start").GetInt32());
        Assert.Equal(3, span.GetProperty("token_end").GetInt32());
        Assert.Equal(Math.Log(0.05), span.GetProperty("offset").GetDouble(), 9);
        Assert.Equal(1, applied.GetProperty("layers").GetInt32());
        Assert.Equal(2, applied.GetProperty("heads").GetInt32());
    }

    [Fact]
    public async Task Steering_Streaming_SteeringAppliedOnAnUpdate()
    {
        var options = Greedy(6);
        options.Patch.Set("$.steering"u8, BinaryData.FromString("{\"substrings\":\"time\",\"head_config\":[0,1]}"));
        int withReport = 0;
        await foreach (var update in Chat().CompleteChatStreamingAsync([new UserChatMessage("Once upon a time")], options, Ct.Token))
        {
            Assert.False(update.Patch.Contains("$.error"u8));
            if (update.Patch.Contains("$.steering_applied"u8))
            {
                withReport++;
                var applied = JsonDocument.Parse(update.Patch.GetJson("$.steering_applied"u8).ToString()).RootElement;
                Assert.Equal("time", applied.GetProperty("spans")[0].GetProperty("text").GetString());
                Assert.Equal(16, applied.GetProperty("heads").GetInt32()); // 2 layers × 8 heads
            }
        }
        Assert.Equal(1, withReport);
    }
#pragma warning restore SCME0001

    [Fact]
    public async Task ListModels_ServedModel()
    {
        var models = new OpenAIModelClient(new ApiKeyCredential("no-key-needed"), Options());
        OpenAIModelCollection list = await models.GetModelsAsync(Ct.Token);
        Assert.Equal("stories260K", Assert.Single(list).Id);
        OpenAIModel one = await models.GetModelAsync("stories260K", Ct.Token);
        Assert.Equal("stories260K", one.Id);
    }

    [Fact]
    public async Task BadRequest_ClientSeesStatusAndParam()
    {
        var options = Greedy(4);
        options.Temperature = 3f;
        var e = await Assert.ThrowsAsync<ClientResultException>(() => Chat().CompleteChatAsync([new UserChatMessage("Hi")], options, Ct.Token));
        Assert.Equal(400, e.Status);
        Assert.Contains("temperature", e.Message);
    }
}
