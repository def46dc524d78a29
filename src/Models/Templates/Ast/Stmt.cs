namespace SteerServer.Models.Templates.Ast;

/// <summary>A statement node. <see cref="Line"/> is the 1-based template line it starts on.</summary>
internal abstract record Stmt(int Line);

/// <summary>Literal template text.</summary>
internal sealed record DataStmt(int Line, string Text) : Stmt(Line);

/// <summary><c>{{ expr }}</c>.</summary>
internal sealed record OutputStmt(int Line, Expr Value) : Stmt(Line);

internal sealed record IfStmt(int Line, Expr Test, Stmt[] Body, Stmt[] Else) : Stmt(Line);

/// <summary><c>for target in iter [if cond] … [else …] endfor</c>.</summary>
internal sealed record ForStmt(int Line, Target Target, Expr Iter, Expr? Filter, Stmt[] Body, Stmt[] Else, bool Recursive) : Stmt(Line);

internal sealed record SetStmt(int Line, Target Target, Expr Value) : Stmt(Line);

/// <summary><c>{% set x | filters %}body{% endset %}</c>.</summary>
internal sealed record SetBlockStmt(int Line, Target Target, Stmt[] Body, FilterExpr[] Filters) : Stmt(Line);

internal sealed record MacroParam(string Name, Expr? Default);

internal sealed record MacroStmt(int Line, string Name, MacroParam[] Params, Stmt[] Body) : Stmt(Line);

/// <summary><c>{% call(params) macro(args) %}body{% endcall %}</c>: the body becomes <c>caller</c>.</summary>
internal sealed record CallBlockStmt(int Line, CallExpr Call, MacroParam[] CallerParams, Stmt[] Body) : Stmt(Line);

/// <summary><c>{% filter f %}body{% endfilter %}</c>.</summary>
internal sealed record FilterBlockStmt(int Line, FilterExpr[] Filters, Stmt[] Body) : Stmt(Line);

internal sealed record BreakStmt(int Line) : Stmt(Line);

internal sealed record ContinueStmt(int Line) : Stmt(Line);

/// <summary>transformers' <c>{% generation %}</c> tag (assistant mask): renders its body.</summary>
internal sealed record GenerationStmt(int Line, Stmt[] Body) : Stmt(Line);

/// <summary>An assignment target: a name, <c>ns.attr</c>, or a tuple of targets.</summary>
internal abstract record Target;

internal sealed record NameTarget(string Name) : Target;

internal sealed record AttrTarget(string Object, string Attribute) : Target;

internal sealed record TupleTarget(Target[] Items) : Target;
