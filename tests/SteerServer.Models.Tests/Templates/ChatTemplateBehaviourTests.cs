using System.Text.Json.Nodes;
using SteerServer.Models.Errors;
using SteerServer.Models.Templates;

namespace SteerServer.Models.Tests.Templates;

/// <summary>Errors, transformers-specific globals and filters, Python printing, reuse across threads.</summary>
public class ChatTemplateBehaviourTests
{
    private static string Render(string source, string? json = null, TimeProvider? clock = null)
    {
        var kwargs = new Dictionary<string, object?>();
        if (json != null)
            foreach (var kv in JsonNode.Parse(json)!.AsObject()) kwargs[kv.Key] = kv.Value;
        return ChatTemplate.Parse(source).Render(new ChatTemplateContext { ChatTemplateKwargs = kwargs, Clock = clock ?? ChatTemplateCases.FixedClock });
    }

    [Fact]
    public void Parse_SyntaxError_InvalidRequestNamingLine()
    {
        var e = Assert.Throws<SteerException>(() => ChatTemplate.Parse("a\nb\n{% if %}x{% endif %}"));
        Assert.Equal(ErrorKind.InvalidRequest, e.Kind);
        Assert.Contains("line 3", e.Message);
        Assert.Contains("Expected an expression", e.Message);
    }

    [Fact]
    public void Parse_UnclosedBlock_InvalidRequest()
    {
        var e = Assert.Throws<SteerException>(() => ChatTemplate.Parse("{% for m in messages %}\n{{ m }}"));
        Assert.Contains("endfor", e.Message);
    }

    [Fact]
    public void Parse_UnknownFilter_InvalidRequestNamingFilterAndLine()
    {
        var e = Assert.Throws<SteerException>(() => ChatTemplate.Parse("x\n{{ messages | shout }}"));
        Assert.Equal(ErrorKind.InvalidRequest, e.Kind);
        Assert.Contains("line 2", e.Message);
        Assert.Contains("No filter named 'shout'", e.Message);
    }

    [Fact]
    public void Render_RaiseException_MessageAndLine()
    {
        var t = ChatTemplate.Parse("ok\n{% if messages | length > 1 %}\n  {{ raise_exception('Only one message please') }}\n{% endif %}");
        var ctx = new ChatTemplateContext { Messages = JsonNode.Parse("""[{"role":"user","content":"a"},{"role":"user","content":"b"}]""") };
        var e = Assert.Throws<SteerException>(() => t.Render(ctx));
        Assert.Equal(ErrorKind.InvalidRequest, e.Kind);
        Assert.Equal("chat template error at line 3: Only one message please", e.Message);
    }

    [Fact]
    public void Render_TypeErrorAndUndefinedAttribute_ReportedWithPythonType()
    {
        Assert.Contains("TypeError: unsupported operand type(s) for +: 'int' and 'str'", Assert.Throws<SteerException>(() => Render("{{ 1 + 'a' }}")).Message);
        Assert.Contains("UndefinedError: 'nothing' is undefined", Assert.Throws<SteerException>(() => Render("{{ nothing.attr }}")).Message);
        Assert.Contains("unsafe", Assert.Throws<SteerException>(() => Render("{% set l = [] %}{{ l.append(1) }}")).Message);
    }

    [Theory]
    [InlineData("{% break %}", "'break' outside loop")]
    [InlineData("{% for x in xs %}{% macro m() %}{% continue %}{% endmacro %}{% endfor %}", "'continue' not properly in loop")]
    [InlineData("{% frobnicate %}", "Encountered unknown tag 'frobnicate'")]
    [InlineData("{{ x is shiny }}", "No test named 'shiny'")]
    public void Parse_InvalidStatements_Rejected(string source, string reason) =>
        Assert.Contains(reason, Assert.Throws<SteerException>(() => ChatTemplate.Parse(source)).Message);

    [Fact]
    public void PythonParity_DictViewsPercentFormatAndFalsyFilters()
    {
        Assert.Equal("dict_items([('k', 1)])|2|a-3|[]|-0.0|0.0", Render(
            "{{ d.items() }}|{{ d.keys() | list | length + 1 }}|{{ '%s-%d' % ('a', 3) }}|{{ false | select('odd') | list }}|{{ -0.0 }}|{{ -6.0 % 3 }}",
            """{"d":{"k":1}}"""));
        Assert.Contains("not all arguments converted", Assert.Throws<SteerException>(() => Render("{{ 'x' % 1 }}")).Message);
    }

    [Fact]
    public void StrftimeNow_UsesInjectedClock()
    {
        Assert.Equal("15 Mar 2025|2025-03-15 09:30|Saturday", Render("{{ strftime_now('%d %b %Y') }}|{{ strftime_now('%Y-%m-%d %H:%M') }}|{{ strftime_now('%A') }}"));
    }

    [Fact]
    public void ToJson_MatchesPythonJsonDumps()
    {
        var json = """{"obj":{"b":[1,2.5,true,null],"a":"é\"\n\u0001","c":{}}}""";
        Assert.Equal("""{"b": [1, 2.5, true, null], "a": "é\"\n\u0001", "c": {}}""", Render("{{ obj | tojson }}", json));
        Assert.Equal("{\n    \"b\": [\n        1,\n        2.5,\n        true,\n        null\n    ],\n    \"a\": \"\\u00e9\\\"\\n\\u0001\",\n    \"c\": {}\n}",
            Render("{{ obj | tojson(indent=4, ensure_ascii=true) }}", json));
        Assert.Equal("""{"a":"é\"\n\u0001","b":[1,2.5,true,null],"c":{}}""", Render("{{ obj | tojson(separators=(',', ':'), sort_keys=true) }}", json));
    }

    [Fact]
    public void Printing_UsesPythonSpellings()
    {
        Assert.Equal("True|False|None|1.0|1e+16|[1, 'a', None, True]|{'k': [2.5]}|('x',)",
            Render("{{ true }}|{{ false }}|{{ none }}|{{ 1.0 }}|{{ 1e16 }}|{{ [1, 'a', none, true] }}|{{ {'k': [2.5]} }}|{{ ('x',) }}"));
        Assert.Equal("None|True", Render("{{ tools }}|{{ tools is none }}", """{"tools": null}"""));
    }

    [Fact]
    public void Loop_NamespaceMacroCall_Work()
    {
        var src = """
            {%- set ns = namespace(count=0) -%}
            {%- macro item(x) -%}[{{ caller(x) }}]{%- endmacro -%}
            {%- for x in xs if x != 'skip' -%}
            {{ loop.index }}/{{ loop.length }}{{ '(first)' if loop.first }}{{ '(last)' if loop.last }}{% call(v) item(x) %}{{ v | upper }}{% endcall %}
            {%- set ns.count = ns.count + 1 -%}
            {%- endfor -%}
            ={{ ns.count }}
            """;
        Assert.Equal("1/2(first)[A]2/2(last)[B]=2", Render(src, """{"xs":["a","skip","b"]}"""));
    }

    [Fact]
    public void TrimAndLstripBlocks_AsHuggingFaceConfigures()
    {
        // trim_blocks drops the newline after %}, lstrip_blocks the indentation before {%, not around {{ }}.
        Assert.Equal("  a\n  b\n", Render("{% for x in xs %}\n    {% if x %}\n  {{ x }}\n    {% endif %}\n{% endfor %}", """{"xs":["a","b"]}"""));
    }

    [Fact]
    public async Task Render_ConcurrentCallsOnOneInstance_SameResults()
    {
        var row = ChatTemplateCases.Get(ChatTemplateCases.Cases, "qwen2.5-instruct/tools-call-and-result-gen");
        var template = ChatTemplate.Parse((string)row["template"]!);
        var expected = (string)row["expected"]!;
        var tasks = Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
        {
            for (var i = 0; i < 50; i++)
                Assert.Equal(expected, template.Render(ChatTemplateCases.Context(row)));
        }));
        await Task.WhenAll(tasks);
    }
}
