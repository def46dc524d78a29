using SteerServer.Models.Templates.Ast;

namespace SteerServer.Models.Templates.Values;

/// <summary>
/// A <c>{% macro %}</c> (or the body of a <c>{% call %}</c> block, named <c>caller</c>). It closes over the frame it
/// was defined in; calling it renders the body into a string. Extra positional arguments land in <c>varargs</c>,
/// extra keyword arguments in <c>kwargs</c>, a <c>caller</c> keyword becomes the <c>caller</c> variable.
/// </summary>
internal sealed class Macro(string name, MacroParam[] parameters, Stmt[] body, Frame closure) : ICallable
{
    public string Name { get; } = name;

    public object? Call(Interpreter interpreter, CallArgs args)
    {
        var frame = new Frame(closure);
        for (var i = 0; i < parameters.Length; i++)
        {
            var p = parameters[i];
            object? value;
            if (i < args.Positional.Count)
                value = args.Positional[i];
            else if (TryNamed(args, p.Name, out var named))
                value = named;
            else if (p.Default != null)
                value = interpreter.Evaluate(p.Default, frame);
            else
                value = Undefined.Name(p.Name);
            frame.Set(p.Name, value);
        }
        var varargs = args.Positional.Count > parameters.Length
            ? new PyTuple([.. args.Positional.Skip(parameters.Length)])
            : PyTuple.Empty;
        frame.Set("varargs", varargs);
        var kwargs = new PyDict();
        foreach (var kv in args.Named)
        {
            if (kv.Key == "caller")
                frame.Set("caller", kv.Value);
            else if (!parameters.Any(p => p.Name == kv.Key))
                kwargs[kv.Key] = kv.Value;
        }
        frame.Set("kwargs", kwargs);
        if (++interpreter.Depth > 200)
            throw new TemplateRuntimeException("RecursionError", "maximum macro recursion depth exceeded");
        try
        {
            return interpreter.Capture(body, frame);
        }
        finally
        {
            interpreter.Depth--;
        }
    }

    private static bool TryNamed(CallArgs args, string name, out object? value)
    {
        foreach (var kv in args.Named)
        {
            if (kv.Key == name)
            {
                value = kv.Value;
                return true;
            }
        }
        value = null;
        return false;
    }
}
