using System.Text;
using System.Text.Json;
using SteerServer.Models.Errors;

namespace SteerServer.Server.Validation;

/// <summary>
/// Checks every string and property name of a request body for invalid Unicode before anything reads it:
/// raw bytes that are not UTF-8 (<c>FF</c>, overlong <c>C0 AF</c>, a truncated <c>E2 82</c>) and escapes that
/// are not text (a lone <c>\ud800</c> or <c>\udc00</c>, a reversed pair). System.Text.Json only notices these
/// when a string is converted, deep inside whatever reads the field, so without this walk they surface as 500s or
/// as a misleading "expected a string". The error names the field by its JSON path, as every other 400 does.
/// </summary>
public static class JsonTextGuard
{
    private struct Frame
    {
        public bool IsArray;
        public int Index;     // array: the next element's index
        public string? Name;  // object: the last property name read
    }

    public static void Validate(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow });
        var stack = new List<Frame>();
        try
        {
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.StartObject or JsonTokenType.StartArray:
                        CountElement(stack);
                        stack.Add(new Frame { IsArray = reader.TokenType == JsonTokenType.StartArray });
                        break;
                    case JsonTokenType.EndObject or JsonTokenType.EndArray:
                        stack.RemoveAt(stack.Count - 1);
                        break;
                    case JsonTokenType.PropertyName:
                        if (!IsText(ref reader, out var name))
                            throw Invalid(Path(stack, stack.Count - 1), "a property name");
                        var f = stack[^1];
                        f.Name = name;
                        stack[^1] = f;
                        break;
                    case JsonTokenType.String:
                        CountElement(stack);
                        if (!IsText(ref reader, out _))
                            throw Invalid(Path(stack, stack.Count), "the string");
                        break;
                    default:
                        CountElement(stack);
                        break;
                }
            }
        }
        catch (JsonException)
        {
            // Not JSON: the deserializer reports the syntax error with its position.
        }
    }

    /// <summary>True when the current string token is valid text; the property name is returned for the path.</summary>
    private static bool IsText(ref Utf8JsonReader reader, out string? value)
    {
        value = null;
        if (!reader.ValueIsEscaped && !reader.HasValueSequence)
        {
            if (!System.Text.Unicode.Utf8.IsValid(reader.ValueSpan)) return false;
            if (reader.TokenType == JsonTokenType.PropertyName) value = reader.GetString();
            return true;
        }
        try
        {
            value = reader.GetString(); // unescapes and transcodes; throws on lone surrogates and invalid UTF-8
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private static void CountElement(List<Frame> stack)
    {
        if (stack.Count == 0 || !stack[^1].IsArray) return;
        var f = stack[^1];
        f.Index++;
        stack[^1] = f;
    }

    /// <summary>The JSON path (without <c>$.</c>) of the value just read, e.g. <c>messages[0].content[1].text</c>.</summary>
    private static string? Path(List<Frame> stack, int depth)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < depth && i < stack.Count; i++)
        {
            var f = stack[i];
            if (f.IsArray) sb.Append('[').Append(f.Index - 1).Append(']');
            else if (f.Name is not null) sb.Append(sb.Length > 0 ? "." : "").Append(f.Name);
        }
        return sb.Length == 0 ? null : sb.ToString();
    }

    private static SteerException Invalid(string? param, string what) =>
        SteerException.InvalidRequest(
            $"Invalid {(param is null ? "request body" : $"'{param}'")}: {what} is not valid Unicode text (invalid UTF-8 bytes or an unpaired UTF-16 surrogate escape such as \\ud800).",
            param, "invalid_unicode");
}
