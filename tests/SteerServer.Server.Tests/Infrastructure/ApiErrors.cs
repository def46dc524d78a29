using System.Net;
using System.Text.Json;

namespace SteerServer.Server.Tests.Infrastructure;

/// <summary>Checks the OpenAI error shape: status, JSON content type, <c>{"error":{message,type,param,code}}</c>.</summary>
public static class ApiErrors
{
    /// <summary>Pass <see cref="AnyParam"/> to accept any string param (checked by the caller).</summary>
    public const string AnyParam = "*";

    public static async Task<JsonElement> AssertAsync(HttpResponseMessage response, HttpStatusCode status, string? param, string? code = null)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"expected {(int)status}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var error = JsonDocument.Parse(text).RootElement.GetProperty("error");
        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("message").GetString()));
        Assert.Equal(JsonValueKind.String, error.GetProperty("type").ValueKind);
        var actualParam = error.GetProperty("param");
        if (param is null) Assert.Equal(JsonValueKind.Null, actualParam.ValueKind);
        else if (param == AnyParam) Assert.Equal(JsonValueKind.String, actualParam.ValueKind);
        else Assert.Equal(param, actualParam.GetString());
        var actualCode = error.GetProperty("code");
        Assert.True(actualCode.ValueKind is JsonValueKind.String or JsonValueKind.Null);
        if (code is not null) Assert.Equal(code, actualCode.GetString());
        return error.Clone();
    }
}
