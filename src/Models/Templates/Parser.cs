using SteerServer.Models.Templates.Ast;

namespace SteerServer.Models.Templates;

/// <summary>
/// Recursive-descent parser following Jinja2's <c>parser.py</c> rule for rule (precedence from low to high:
/// conditional, or, and, not, comparisons/in, + -, ~, * / // %, **, unary - +, then postfix . [] () and | / is).
/// </summary>
internal sealed class Parser
{
    private readonly List<Token> tokens;
    private int index;
    private int loopDepth; // break/continue are only valid inside a for body (not across a macro)

    private Parser(List<Token> tokens) => this.tokens = tokens;

    public static Stmt[] Parse(string source)
    {
        var parser = new Parser(Lexer.Tokenize(source));
        var body = parser.Subparse(null);
        if (parser.Current.Kind != TokenKind.Eof)
            throw new TemplateSyntaxException($"Unexpected {parser.Current.Describe()}", parser.Current.Line);
        return body;
    }

    // ---------------------------------------------------------------- token stream

    private Token Current => tokens[index];

    private Token Peek(int k = 1) => tokens[Math.Min(index + k, tokens.Count - 1)];

    private Token Next() => tokens[index < tokens.Count - 1 ? index++ : index];

    private bool SkipIfName(string name)
    {
        if (!Current.IsName(name)) return false;
        index++;
        return true;
    }

    private bool SkipIfOp(string op)
    {
        if (!Current.IsOp(op)) return false;
        index++;
        return true;
    }

    private Token Expect(TokenKind kind, string? text = null)
    {
        var t = Current;
        if (t.Kind != kind || (text != null && t.Text != text))
        {
            var what = text != null ? $"'{text}'" : kind switch
            {
                TokenKind.Name => "name",
                TokenKind.BlockEnd => "end of statement block",
                TokenKind.VariableEnd => "end of print statement",
                _ => kind.ToString(),
            };
            throw new TemplateSyntaxException($"expected token {what}, got {t.Describe()}", t.Line);
        }
        return Next();
    }

    private TemplateSyntaxException Fail(string message) => new(message, Current.Line);

    // ---------------------------------------------------------------- statements

    /// <summary>Parses until a block tag whose name is in <paramref name="endTokens"/> (left as the current token).</summary>
    private Stmt[] Subparse(string[]? endTokens)
    {
        var body = new List<Stmt>();
        while (true)
        {
            var t = Current;
            switch (t.Kind)
            {
                case TokenKind.Eof:
                    if (endTokens != null)
                        throw new TemplateSyntaxException($"Unexpected end of template. Jinja was looking for the following tags: {string.Join(" or ", endTokens.Select(e => $"'{e}'"))}.", t.Line);
                    return [.. body];
                case TokenKind.Data:
                    Next();
                    body.Add(new DataStmt(t.Line, t.Text));
                    break;
                case TokenKind.VariableBegin:
                    Next();
                    var expr = ParseTuple(withCondExpr: true);
                    Expect(TokenKind.VariableEnd);
                    body.Add(new OutputStmt(t.Line, expr));
                    break;
                case TokenKind.BlockBegin:
                    Next();
                    if (endTokens != null && Current.Kind == TokenKind.Name && endTokens.Contains(Current.Text))
                        return [.. body];
                    body.Add(ParseStatement());
                    break;
                default:
                    throw new TemplateSyntaxException($"Unexpected {t.Describe()}", t.Line);
            }
        }
    }

    private Stmt[] ParseStatements(string[] endTokens, bool dropNeedle = false)
    {
        SkipIfOp(":");
        Expect(TokenKind.BlockEnd);
        var result = Subparse(endTokens);
        if (dropNeedle) Next();
        return result;
    }

    private Stmt ParseStatement()
    {
        var t = Current;
        if (t.Kind != TokenKind.Name)
            throw Fail("tag name expected");
        Stmt stmt;
        switch (t.Text)
        {
            case "if": stmt = ParseIf(); break;
            case "for": stmt = ParseFor(); break;
            case "set": stmt = ParseSet(); return stmt;
            case "macro": stmt = ParseMacro(); break;
            case "call": stmt = ParseCallBlock(); break;
            case "filter": stmt = ParseFilterBlock(); break;
            case "generation":
                Next();
                stmt = new GenerationStmt(t.Line, ParseStatements(["endgeneration"], dropNeedle: true));
                break;
            case "break" or "continue" when loopDepth == 0:
                throw Fail(t.Text == "break" ? "'break' outside loop" : "'continue' not properly in loop");
            case "break": Next(); stmt = new BreakStmt(t.Line); break;
            case "continue": Next(); stmt = new ContinueStmt(t.Line); break;
            default:
                throw Fail($"Encountered unknown tag '{t.Text}'.");
        }
        Expect(TokenKind.BlockEnd);
        return stmt;
    }

    private IfStmt ParseIf()
    {
        var line = Next().Line; // 'if' or 'elif'
        var test = ParseTuple(withCondExpr: false);
        var body = ParseStatements(["elif", "else", "endif"]);
        var token = Next();
        Stmt[] elseBody;
        if (token.IsName("elif"))
        {
            index--; // re-read 'elif' as the start of a nested if
            var nested = ParseIf();
            return new IfStmt(line, test, body, [nested]);
        }
        if (token.IsName("else"))
            elseBody = ParseStatements(["endif"], dropNeedle: true);
        else
            elseBody = [];
        return new IfStmt(line, test, body, elseBody);
    }

    private ForStmt ParseFor()
    {
        var line = Next().Line;
        var target = ParseAssignTarget(extraEnd: "in", withNamespace: false);
        Expect(TokenKind.Name, "in");
        var iter = ParseTuple(withCondExpr: false, extraEnd: "recursive");
        Expr? filter = null;
        if (SkipIfName("if"))
            filter = ParseExpression();
        var recursive = SkipIfName("recursive");
        loopDepth++;
        var body = ParseStatements(["endfor", "else"]);
        loopDepth--;
        var elseBody = Next().IsName("endfor") ? [] : ParseStatements(["endfor"], dropNeedle: true);
        return new ForStmt(line, target, iter, filter, body, elseBody, recursive);
    }

    private Stmt ParseSet()
    {
        var line = Next().Line;
        var target = ParseAssignTarget(extraEnd: null, withNamespace: true);
        if (SkipIfOp("="))
        {
            var value = ParseTuple(withCondExpr: true);
            Expect(TokenKind.BlockEnd);
            return new SetStmt(line, target, value);
        }
        var filters = ParseFilterChain(inline: false);
        var body = ParseStatements(["endset"], dropNeedle: true);
        Expect(TokenKind.BlockEnd);
        return new SetBlockStmt(line, target, body, filters);
    }

    private MacroStmt ParseMacro()
    {
        var line = Next().Line;
        var name = Expect(TokenKind.Name).Text;
        var parameters = ParseSignature();
        var savedDepth = loopDepth;
        loopDepth = 0;
        var body = ParseStatements(["endmacro"], dropNeedle: true);
        loopDepth = savedDepth;
        return new MacroStmt(line, name, parameters, body);
    }

    private MacroParam[] ParseSignature()
    {
        var result = new List<MacroParam>();
        Expect(TokenKind.Operator, "(");
        while (!Current.IsOp(")"))
        {
            if (result.Count > 0) Expect(TokenKind.Operator, ",");
            if (Current.IsOp(")")) break;
            var name = Expect(TokenKind.Name).Text;
            Expr? def = null;
            if (SkipIfOp("=")) def = ParseExpression();
            result.Add(new MacroParam(name, def));
        }
        Expect(TokenKind.Operator, ")");
        return [.. result];
    }

    private CallBlockStmt ParseCallBlock()
    {
        var line = Next().Line;
        var callerParams = Current.IsOp("(") ? ParseSignature() : [];
        var call = ParseExpression() as CallExpr ?? throw Fail("expected call");
        var savedDepth = loopDepth;
        loopDepth = 0;
        var body = ParseStatements(["endcall"], dropNeedle: true);
        loopDepth = savedDepth;
        return new CallBlockStmt(line, call, callerParams, body);
    }

    private FilterBlockStmt ParseFilterBlock()
    {
        var line = Next().Line;
        var filters = ParseFilterChain(inline: true);
        var body = ParseStatements(["endfilter"], dropNeedle: true);
        return new FilterBlockStmt(line, filters, body);
    }

    private Target ParseAssignTarget(string? extraEnd, bool withNamespace)
    {
        if (withNamespace && Current.Kind == TokenKind.Name && Peek().IsOp("."))
        {
            var obj = Next().Text;
            Next();
            var attr = Expect(TokenKind.Name).Text;
            return new AttrTarget(obj, attr);
        }
        var expr = ParseTuple(withCondExpr: true, simplified: true, extraEnd: extraEnd);
        return ToTarget(expr);
    }

    private Target ToTarget(Expr e) => e switch
    {
        NameExpr n when n.Name is not ("true" or "false" or "none" or "True" or "False" or "None") => new NameTarget(n.Name),
        TupleExpr t => new TupleTarget([.. t.Items.Select(ToTarget)]),
        _ => throw new TemplateSyntaxException($"can't assign to {e.GetType().Name.Replace("Expr", "").ToLowerInvariant()}", e.Line),
    };

    // ---------------------------------------------------------------- expressions

    private bool IsTupleEnd(string? extraEnd) =>
        Current.Kind is TokenKind.VariableEnd or TokenKind.BlockEnd or TokenKind.Eof
        || Current.IsOp(")")
        || (extraEnd != null && Current.IsName(extraEnd));

    private Expr ParseTuple(bool withCondExpr, bool simplified = false, string? extraEnd = null, bool explicitParentheses = false)
    {
        var line = Current.Line;
        var items = new List<Expr>();
        var isTuple = false;
        while (true)
        {
            if (items.Count > 0) Expect(TokenKind.Operator, ",");
            if (IsTupleEnd(extraEnd)) break;
            items.Add(simplified ? ParsePrimary() : withCondExpr ? ParseExpression() : ParseOr());
            if (Current.IsOp(",")) isTuple = true;
            else break;
        }
        if (!isTuple)
        {
            if (items.Count > 0) return items[0];
            if (!explicitParentheses)
                throw Fail($"Expected an expression, got {Current.Describe()}");
        }
        return new TupleExpr(line, [.. items]);
    }

    private Expr ParseExpression() => ParseCondExpr();

    private Expr ParseCondExpr()
    {
        var expr1 = ParseOr();
        while (Current.IsName("if"))
        {
            var line = Next().Line;
            var test = ParseOr();
            Expr? else_ = SkipIfName("else") ? ParseCondExpr() : null;
            expr1 = new CondExpr(line, test, expr1, else_);
        }
        return expr1;
    }

    private Expr ParseOr()
    {
        var left = ParseAnd();
        while (Current.IsName("or"))
        {
            var line = Next().Line;
            left = new OrExpr(line, left, ParseAnd());
        }
        return left;
    }

    private Expr ParseAnd()
    {
        var left = ParseNot();
        while (Current.IsName("and"))
        {
            var line = Next().Line;
            left = new AndExpr(line, left, ParseNot());
        }
        return left;
    }

    private Expr ParseNot()
    {
        if (Current.IsName("not"))
        {
            var line = Next().Line;
            return new NotExpr(line, ParseNot());
        }
        return ParseCompare();
    }

    private Expr ParseCompare()
    {
        var line = Current.Line;
        var expr = ParseMath1();
        var ops = new List<(string, Expr)>();
        while (true)
        {
            var t = Current;
            if (t.Kind == TokenKind.Operator && t.Text is "==" or "!=" or "<" or "<=" or ">" or ">=")
            {
                Next();
                ops.Add((t.Text, ParseMath1()));
            }
            else if (SkipIfName("in"))
                ops.Add(("in", ParseMath1()));
            else if (t.IsName("not") && Peek().IsName("in"))
            {
                Next();
                Next();
                ops.Add(("notin", ParseMath1()));
            }
            else
                break;
        }
        return ops.Count == 0 ? expr : new CompareExpr(line, expr, [.. ops]);
    }

    private Expr ParseMath1()
    {
        var left = ParseConcat();
        while (Current.IsOp("+") || Current.IsOp("-"))
        {
            var t = Next();
            left = new BinaryExpr(t.Line, t.Text, left, ParseConcat());
        }
        return left;
    }

    private Expr ParseConcat()
    {
        var left = ParseMath2();
        while (Current.IsOp("~"))
        {
            var t = Next();
            left = new BinaryExpr(t.Line, "~", left, ParseMath2());
        }
        return left;
    }

    private Expr ParseMath2()
    {
        var left = ParsePow();
        while (Current.Kind == TokenKind.Operator && Current.Text is "*" or "/" or "//" or "%")
        {
            var t = Next();
            left = new BinaryExpr(t.Line, t.Text, left, ParsePow());
        }
        return left;
    }

    private Expr ParsePow()
    {
        var left = ParseUnary(withFilter: true);
        while (Current.IsOp("**"))
        {
            var t = Next();
            left = new BinaryExpr(t.Line, "**", left, ParseUnary(withFilter: true));
        }
        return left;
    }

    private Expr ParseUnary(bool withFilter)
    {
        var t = Current;
        Expr node;
        if (t.IsOp("-"))
        {
            Next();
            node = new UnaryExpr(t.Line, "-", ParseUnary(withFilter: false));
        }
        else if (t.IsOp("+"))
        {
            Next();
            node = new UnaryExpr(t.Line, "+", ParseUnary(withFilter: false));
        }
        else
            node = ParsePrimary();
        node = ParsePostfix(node);
        if (withFilter)
            node = ParseFilterExpr(node);
        return node;
    }

    private Expr ParsePrimary()
    {
        var t = Current;
        switch (t.Kind)
        {
            case TokenKind.Name:
                Next();
                return t.Text switch
                {
                    "true" or "True" => new ConstExpr(t.Line, true),
                    "false" or "False" => new ConstExpr(t.Line, false),
                    "none" or "None" => new ConstExpr(t.Line, null),
                    _ => new NameExpr(t.Line, t.Text),
                };
            case TokenKind.String:
                Next();
                var s = (string)t.Value!;
                while (Current.Kind == TokenKind.String) s += (string)Next().Value!; // adjacent literals concatenate
                return new ConstExpr(t.Line, s);
            case TokenKind.Integer:
            case TokenKind.Float:
                Next();
                return new ConstExpr(t.Line, t.Value);
            case TokenKind.Operator when t.Text == "(":
                Next();
                var inner = ParseTuple(withCondExpr: true, explicitParentheses: true);
                Expect(TokenKind.Operator, ")");
                return inner;
            case TokenKind.Operator when t.Text == "[":
                return ParseList();
            case TokenKind.Operator when t.Text == "{":
                return ParseDict();
            default:
                throw Fail($"unexpected {t.Describe()}");
        }
    }

    private ListExpr ParseList()
    {
        var line = Expect(TokenKind.Operator, "[").Line;
        var items = new List<Expr>();
        while (!Current.IsOp("]"))
        {
            if (items.Count > 0) Expect(TokenKind.Operator, ",");
            if (Current.IsOp("]")) break;
            items.Add(ParseExpression());
        }
        Expect(TokenKind.Operator, "]");
        return new ListExpr(line, [.. items]);
    }

    private DictExpr ParseDict()
    {
        var line = Expect(TokenKind.Operator, "{").Line;
        var pairs = new List<(Expr, Expr)>();
        while (!Current.IsOp("}"))
        {
            if (pairs.Count > 0) Expect(TokenKind.Operator, ",");
            if (Current.IsOp("}")) break;
            var key = ParseExpression();
            Expect(TokenKind.Operator, ":");
            pairs.Add((key, ParseExpression()));
        }
        Expect(TokenKind.Operator, "}");
        return new DictExpr(line, [.. pairs]);
    }

    private Expr ParsePostfix(Expr node)
    {
        while (true)
        {
            if (Current.IsOp(".") || Current.IsOp("["))
                node = ParseSubscript(node);
            else if (Current.IsOp("("))
                node = new CallExpr(Current.Line, node, ParseCallArgs());
            else
                return node;
        }
    }

    private Expr ParseFilterExpr(Expr node)
    {
        while (true)
        {
            if (Current.IsOp("|"))
                node = ParseFilter(node);
            else if (Current.IsName("is"))
                node = ParseTest(node);
            else if (Current.IsOp("("))
                node = new CallExpr(Current.Line, node, ParseCallArgs());
            else
                return node;
        }
    }

    private Expr ParseSubscript(Expr node)
    {
        var t = Next();
        if (t.IsOp("."))
        {
            var attr = Next();
            if (attr.Kind == TokenKind.Name)
                return new GetAttrExpr(t.Line, node, attr.Text);
            if (attr.Kind == TokenKind.Integer)
                return new GetItemExpr(t.Line, node, new ConstExpr(attr.Line, attr.Value));
            throw new TemplateSyntaxException("expected name or number", attr.Line);
        }
        var args = new List<Expr>();
        while (!Current.IsOp("]"))
        {
            if (args.Count > 0) Expect(TokenKind.Operator, ",");
            args.Add(ParseSubscribed(node, t.Line));
        }
        Expect(TokenKind.Operator, "]");
        if (args.Count == 1)
            return args[0] is SliceExpr slice ? slice : new GetItemExpr(t.Line, node, args[0]);
        return new GetItemExpr(t.Line, node, new TupleExpr(t.Line, [.. args]));
    }

    /// <summary>One subscript: an expression or a slice <c>start:stop:step</c> (returned as a <see cref="SliceExpr"/> on <paramref name="target"/>).</summary>
    private Expr ParseSubscribed(Expr target, int line)
    {
        Expr? start = null, stop = null, step = null;
        if (Current.IsOp(":"))
            Next();
        else
        {
            var node = ParseExpression();
            if (!Current.IsOp(":")) return node;
            Next();
            start = node;
        }
        if (!Current.IsOp(":") && !Current.IsOp("]") && !Current.IsOp(","))
            stop = ParseExpression();
        if (Current.IsOp(":"))
        {
            Next();
            if (!Current.IsOp("]") && !Current.IsOp(","))
                step = ParseExpression();
        }
        return new SliceExpr(line, target, start, stop, step);
    }

    private ArgList ParseCallArgs()
    {
        Expect(TokenKind.Operator, "(");
        var args = new List<Expr>();
        var kwargs = new List<(string, Expr)>();
        Expr? dynArgs = null, dynKwargs = null;
        var needComma = false;
        while (!Current.IsOp(")"))
        {
            if (needComma)
            {
                Expect(TokenKind.Operator, ",");
                if (Current.IsOp(")")) break;
            }
            if (SkipIfOp("*"))
                dynArgs = ParseExpression();
            else if (SkipIfOp("**"))
                dynKwargs = ParseExpression();
            else if (Current.Kind == TokenKind.Name && Peek().IsOp("="))
            {
                var key = Next().Text;
                Next();
                kwargs.Add((key, ParseExpression()));
            }
            else
                args.Add(ParseExpression());
            needComma = true;
        }
        Expect(TokenKind.Operator, ")");
        return new ArgList([.. args], [.. kwargs], dynArgs, dynKwargs);
    }

    private FilterExpr[] ParseFilterChain(bool inline)
    {
        var filters = new List<FilterExpr>();
        while (inline || Current.IsOp("|"))
        {
            if (!inline) Next();
            inline = false;
            filters.Add(ParseFilterCall(null));
        }
        return [.. filters];
    }

    private Expr ParseFilter(Expr node)
    {
        while (Current.IsOp("|"))
        {
            Next();
            node = ParseFilterCall(node);
        }
        return node;
    }

    private FilterExpr ParseFilterCall(Expr? value)
    {
        var t = Expect(TokenKind.Name);
        var name = t.Text;
        while (Current.IsOp("."))
        {
            Next();
            name += "." + Expect(TokenKind.Name).Text;
        }
        if (!Filters.Exists(name))
            throw new TemplateSyntaxException($"No filter named '{name}'.", t.Line);
        var args = Current.IsOp("(") ? ParseCallArgs() : ArgList.Empty;
        return new FilterExpr(t.Line, value, name, args);
    }

    private Expr ParseTest(Expr node)
    {
        var line = Next().Line; // 'is'
        var negated = SkipIfName("not");
        var nameToken = Expect(TokenKind.Name);
        var name = nameToken.Text;
        while (Current.IsOp("."))
        {
            Next();
            name += "." + Expect(TokenKind.Name).Text;
        }
        if (!Predicates.Exists(name))
            throw new TemplateSyntaxException($"No test named '{name}'.", nameToken.Line);
        ArgList args;
        var c = Current;
        if (c.IsOp("("))
            args = ParseCallArgs();
        else if ((c.Kind is TokenKind.Name or TokenKind.String or TokenKind.Integer or TokenKind.Float || c.IsOp("[") || c.IsOp("{"))
                 && !c.IsName("else") && !c.IsName("or") && !c.IsName("and"))
        {
            if (c.IsName("is")) throw Fail("You cannot chain multiple tests with is");
            var arg = ParsePostfix(ParsePrimary());
            args = new ArgList([arg], [], null, null);
        }
        else
            args = ArgList.Empty;
        Expr test = new TestExpr(line, node, name, args);
        return negated ? new NotExpr(line, test) : test;
    }
}
