namespace SteerServer.Models.Templates.Ast;

/// <summary>An expression node. <see cref="Line"/> is the 1-based template line it starts on.</summary>
internal abstract record Expr(int Line);

internal sealed record ConstExpr(int Line, object? Value) : Expr(Line);

internal sealed record NameExpr(int Line, string Name) : Expr(Line);

internal sealed record ListExpr(int Line, Expr[] Items) : Expr(Line);

internal sealed record TupleExpr(int Line, Expr[] Items) : Expr(Line);

internal sealed record DictExpr(int Line, (Expr Key, Expr Value)[] Pairs) : Expr(Line);

/// <summary><c>obj.name</c> (attribute first, then item, as Jinja's getattr).</summary>
internal sealed record GetAttrExpr(int Line, Expr Target, string Name) : Expr(Line);

/// <summary><c>obj[key]</c> (item first, then attribute, as Jinja's getitem).</summary>
internal sealed record GetItemExpr(int Line, Expr Target, Expr Key) : Expr(Line);

internal sealed record SliceExpr(int Line, Expr Target, Expr? Start, Expr? Stop, Expr? Step) : Expr(Line);

/// <summary>Call arguments as written: positional, keyword, <c>*args</c>, <c>**kwargs</c>.</summary>
internal sealed record ArgList(Expr[] Positional, (string Name, Expr Value)[] Named, Expr? StarArgs, Expr? StarKwargs)
{
    public static readonly ArgList Empty = new([], [], null, null);
}

internal sealed record CallExpr(int Line, Expr Callee, ArgList Args) : Expr(Line);

/// <summary><c>value | name(args)</c>; <see cref="Value"/> is null inside a filter block.</summary>
internal sealed record FilterExpr(int Line, Expr? Value, string Name, ArgList Args) : Expr(Line);

/// <summary><c>value is [not] name args</c> (negation is a separate <see cref="NotExpr"/>).</summary>
internal sealed record TestExpr(int Line, Expr Value, string Name, ArgList Args) : Expr(Line);

internal sealed record NotExpr(int Line, Expr Operand) : Expr(Line);

/// <summary>Unary <c>-</c> or <c>+</c>.</summary>
internal sealed record UnaryExpr(int Line, string Op, Expr Operand) : Expr(Line);

/// <summary><c>+ - * / // % ** ~</c>.</summary>
internal sealed record BinaryExpr(int Line, string Op, Expr Left, Expr Right) : Expr(Line);

internal sealed record AndExpr(int Line, Expr Left, Expr Right) : Expr(Line);

internal sealed record OrExpr(int Line, Expr Left, Expr Right) : Expr(Line);

/// <summary>A comparison chain <c>a &lt; b &lt;= c</c>; ops are ==, !=, &lt;, &lt;=, &gt;, &gt;=, in, notin.</summary>
internal sealed record CompareExpr(int Line, Expr First, (string Op, Expr Operand)[] Rest) : Expr(Line);

/// <summary><c>a if cond else b</c>; a missing else gives Undefined.</summary>
internal sealed record CondExpr(int Line, Expr Test, Expr Then, Expr? Else) : Expr(Line);
