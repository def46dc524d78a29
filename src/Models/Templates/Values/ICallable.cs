namespace SteerServer.Models.Templates.Values;

/// <summary>Something a template can call: a macro, a global function (range, namespace...) or a bound method.</summary>
internal interface ICallable
{
    object? Call(Interpreter interpreter, CallArgs args);
}

/// <summary>A built-in function or a method bound to its receiver.</summary>
internal sealed class BuiltinFunction(string name, Func<Interpreter, CallArgs, object?> body) : ICallable
{
    public string Name { get; } = name;

    public object? Call(Interpreter interpreter, CallArgs args) => body(interpreter, args);
}
