using System.Text;
using SteerServer.Models.Templates.Ast;
using SteerServer.Models.Templates.Values;

namespace SteerServer.Models.Templates;

/// <summary>
/// Walks the syntax tree of one template for one render. Holds the output buffer, the clock for
/// <c>strftime_now</c> and, when spans are requested, the <see cref="ProvenanceTracker"/>. Not shared between renders.
/// </summary>
internal sealed class Interpreter
{
    private enum Flow { Normal, Break, Continue }

    private OutputBuffer output = new();

    public Interpreter(TimeProvider clock, ProvenanceTracker? tracker)
    {
        Clock = clock;
        Tracker = tracker;
    }

    public TimeProvider Clock { get; }

    /// <summary>Macro call depth, bounded so a recursive macro fails cleanly instead of overflowing the stack.</summary>
    public int Depth { get; set; }

    public ProvenanceTracker? Tracker { get; }

    /// <summary>Renders <paramref name="body"/> with <paramref name="context"/> as the template variables.</summary>
    public OutputBuffer Render(Stmt[] body, Frame context)
    {
        output = new OutputBuffer();
        Execute(body, new Frame(context));
        return output;
    }

    /// <summary>Renders statements into a fresh buffer and returns the text (a macro call, a block set).</summary>
    public string Capture(Stmt[] body, Frame frame) => Capture(body, frame, out _);

    // A break/continue inside a block set leaves the enclosing loop, as in compiled Jinja: the flow is returned.
    private string Capture(Stmt[] body, Frame frame, out Flow flow)
    {
        var saved = output;
        output = new OutputBuffer();
        try
        {
            flow = Execute(body, frame);
            var text = output.Builder.ToString();
            if (Tracker != null && output.Segments is { Count: > 0 } segs)
                text = Tracker.Register(text, [.. segs]);
            return text;
        }
        finally
        {
            output = saved;
        }
    }

    // ---------------------------------------------------------------- statements

    private Flow Execute(Stmt[] body, Frame frame)
    {
        foreach (var stmt in body)
        {
            Flow flow;
            try
            {
                flow = Execute(stmt, frame);
            }
            catch (TemplateRuntimeException e) when (e.Line == 0)
            {
                e.Line = stmt.Line;
                throw;
            }
            catch (Exception e) when (e is InvalidCastException or OverflowException or ArgumentException or FormatException or IndexOutOfRangeException or NullReferenceException)
            {
                // A value of the wrong type reached a filter or method: report it like Python's TypeError.
                throw new TemplateRuntimeException("TypeError", e.Message) { Line = stmt.Line };
            }
            if (flow != Flow.Normal)
                return flow;
        }
        return Flow.Normal;
    }

    private Flow Execute(Stmt stmt, Frame frame)
    {
        switch (stmt)
        {
            case DataStmt d:
                output.Builder.Append(d.Text);
                return Flow.Normal;
            case OutputStmt o:
                Write(Evaluate(o.Value, frame));
                return Flow.Normal;
            case IfStmt i:
                return Execute(PyOps.Truthy(Evaluate(i.Test, frame)) ? i.Body : i.Else, frame);
            case ForStmt f:
                return ExecuteFor(f, frame);
            case SetStmt s:
                Assign(s.Target, Evaluate(s.Value, frame), frame);
                return Flow.Normal;
            case SetBlockStmt sb:
            {
                object? value = Capture(sb.Body, new Frame(frame), out var flow);
                foreach (var filter in sb.Filters)
                    value = ApplyFilter(filter, value, frame);
                Assign(sb.Target, value, frame);
                return flow;
            }
            case MacroStmt m:
                frame.Set(m.Name, new Macro(m.Name, m.Params, m.Body, frame));
                return Flow.Normal;
            case CallBlockStmt c:
            {
                var caller = new Macro("caller", c.CallerParams, c.Body, frame);
                Write(EvaluateCall(c.Call, frame, caller));
                return Flow.Normal;
            }
            case FilterBlockStmt fb:
            {
                object? value = Capture(fb.Body, new Frame(frame), out var flow);
                foreach (var filter in fb.Filters)
                    value = ApplyFilter(filter, value, frame);
                Write(value);
                return flow;
            }
            case BreakStmt:
                return Flow.Break;
            case ContinueStmt:
                return Flow.Continue;
            case GenerationStmt g:
                return Execute(g.Body, frame);
            default:
                throw new InvalidOperationException($"unknown statement {stmt.GetType().Name}");
        }
    }

    private Flow ExecuteFor(ForStmt f, Frame frame)
    {
        var source = PyOps.Iterate(Evaluate(f.Iter, frame));
        IReadOnlyList<object?> items = source;
        if (f.Filter != null)
        {
            var kept = new List<object?>();
            foreach (var item in source)
            {
                var probe = new Frame(frame);
                Assign(f.Target, item, probe);
                if (PyOps.Truthy(Evaluate(f.Filter, probe)))
                    kept.Add(item);
            }
            items = kept;
        }
        if (items.Count == 0)
            return Execute(f.Else, new Frame(frame));
        var depth0 = frame.TryGet("loop", out var outer) && outer is LoopContext o ? o.Depth0 + 1 : 0;
        var loop = new LoopContext(items, depth0);
        for (var i = 0; i < items.Count; i++)
        {
            var iteration = new Frame(frame);
            loop.Index0 = i;
            iteration.Set("loop", loop);
            Assign(f.Target, items[i], iteration);
            if (Execute(f.Body, iteration) == Flow.Break)
                break;
        }
        return Flow.Normal;
    }

    private void Assign(Target target, object? value, Frame frame)
    {
        switch (target)
        {
            case NameTarget n:
                frame.Set(n.Name, value);
                break;
            case AttrTarget a:
                if (!frame.TryGet(a.Object, out var obj) || obj is not Namespace ns)
                    throw new TemplateRuntimeException("TemplateRuntimeError", "cannot assign attribute on non-namespace object");
                ns.Attributes[a.Attribute] = value;
                break;
            case TupleTarget t:
                var items = PyOps.Iterate(value);
                if (items.Count != t.Items.Length)
                    throw new TemplateRuntimeException("ValueError", items.Count > t.Items.Length
                        ? $"too many values to unpack (expected {t.Items.Length})"
                        : $"not enough values to unpack (expected {t.Items.Length}, got {items.Count})");
                for (var i = 0; i < items.Count; i++)
                    Assign(t.Items[i], items[i], frame);
                break;
        }
    }

    /// <summary>Appends a value as <c>{{ }}</c> prints it (Python <c>str()</c>), recording content provenance.</summary>
    private void Write(object? value)
    {
        var text = PyOps.Str(value);
        if (Tracker != null && Tracker.TryGet(text, out var segs))
        {
            output.Segments ??= [];
            var shift = output.Builder.Length;
            foreach (var s in segs)
                output.Segments.Add(s with { Start = s.Start + shift });
        }
        output.Builder.Append(text);
    }

    // ---------------------------------------------------------------- expressions

    public object? Evaluate(Expr expr, Frame frame)
    {
        switch (expr)
        {
            case ConstExpr c:
                return c.Value;
            case NameExpr n:
                return frame.TryGet(n.Name, out var v) ? v : Undefined.Name(n.Name);
            case GetAttrExpr ga:
                return Access.GetAttr(Evaluate(ga.Target, frame), ga.Name);
            case GetItemExpr gi:
                return Access.GetItem(Evaluate(gi.Target, frame), Evaluate(gi.Key, frame));
            case SliceExpr sl:
                return Access.Slice(Evaluate(sl.Target, frame),
                    sl.Start == null ? null : Evaluate(sl.Start, frame),
                    sl.Stop == null ? null : Evaluate(sl.Stop, frame),
                    sl.Step == null ? null : Evaluate(sl.Step, frame));
            case BinaryExpr b:
                return EvaluateBinary(b, frame);
            case AndExpr a:
            {
                var left = Evaluate(a.Left, frame);
                return PyOps.Truthy(left) ? Evaluate(a.Right, frame) : left;
            }
            case OrExpr o:
            {
                var left = Evaluate(o.Left, frame);
                return PyOps.Truthy(left) ? left : Evaluate(o.Right, frame);
            }
            case NotExpr n:
                return !PyOps.Truthy(Evaluate(n.Operand, frame));
            case UnaryExpr u:
            {
                var operand = Evaluate(u.Operand, frame);
                return u.Op == "-" ? PyOps.Negate(operand) : PyOps.Plus(operand);
            }
            case CompareExpr c:
                return EvaluateCompare(c, frame);
            case CondExpr c:
                if (PyOps.Truthy(Evaluate(c.Test, frame)))
                    return Evaluate(c.Then, frame);
                return c.Else == null ? Undefined.Missing : Evaluate(c.Else, frame);
            case CallExpr call:
                return EvaluateCall(call, frame, null);
            case FilterExpr f:
                return ApplyFilter(f, f.Value == null ? Undefined.Missing : Evaluate(f.Value, frame), frame);
            case TestExpr t:
                return Predicates.Test(this, t.Name, Evaluate(t.Value, frame), EvaluateArgs(t.Args, frame));
            case ListExpr l:
            {
                var list = new List<object?>(l.Items.Length);
                foreach (var item in l.Items) list.Add(Evaluate(item, frame));
                return list;
            }
            case TupleExpr t:
            {
                var items = new object?[t.Items.Length];
                for (var i = 0; i < items.Length; i++) items[i] = Evaluate(t.Items[i], frame);
                return new PyTuple(items);
            }
            case DictExpr d:
            {
                var dict = new PyDict(d.Pairs.Length);
                foreach (var (k, val) in d.Pairs)
                {
                    var key = Evaluate(k, frame) ?? throw TemplateRuntimeException.Type("None is not supported as a dict key here");
                    dict[key] = Evaluate(val, frame);
                }
                return dict;
            }
            default:
                throw new InvalidOperationException($"unknown expression {expr.GetType().Name}");
        }
    }

    private object? EvaluateBinary(BinaryExpr b, Frame frame)
    {
        var left = Evaluate(b.Left, frame);
        var right = Evaluate(b.Right, frame);
        if (b.Op == "~")
        {
            string ls = PyOps.Str(left), rs = PyOps.Str(right);
            return Tracker == null ? string.Concat(ls, rs) : Tracker.Concat(ls, rs);
        }
        if (b.Op == "+" && Tracker != null && left is string l && right is string r)
            return Tracker.Concat(l, r);
        return PyOps.Arithmetic(b.Op, left, right);
    }

    private bool EvaluateCompare(CompareExpr c, Frame frame)
    {
        var left = Evaluate(c.First, frame);
        foreach (var (op, operandExpr) in c.Rest)
        {
            var right = Evaluate(operandExpr, frame);
            var ok = op switch
            {
                "==" => PyOps.PyEquals(left, right),
                "!=" => !PyOps.PyEquals(left, right),
                "<" => PyOps.Compare(left, right, op) < 0,
                "<=" => PyOps.Compare(left, right, op) <= 0,
                ">" => PyOps.Compare(left, right, op) > 0,
                ">=" => PyOps.Compare(left, right, op) >= 0,
                "in" => PyOps.Contains(right, left),
                "notin" => !PyOps.Contains(right, left),
                _ => throw new InvalidOperationException(op),
            };
            if (!ok) return false;
            left = right;
        }
        return true;
    }

    private object? EvaluateCall(CallExpr call, Frame frame, Macro? caller)
    {
        var callee = Evaluate(call.Callee, frame);
        var args = EvaluateArgs(call.Args, frame);
        if (caller != null)
            args.Named.Add(new("caller", caller));
        return callee switch
        {
            ICallable f => f.Call(this, args),
            Undefined u => throw u.Error(),
            _ => throw TemplateRuntimeException.Type($"'{PyOps.TypeName(callee)}' object is not callable"),
        };
    }

    public CallArgs EvaluateArgs(ArgList list, Frame frame)
    {
        if (list.Positional.Length == 0 && list.Named.Length == 0 && list.StarArgs == null && list.StarKwargs == null)
            return new CallArgs([], []);
        var positional = new List<object?>(list.Positional.Length);
        foreach (var e in list.Positional) positional.Add(Evaluate(e, frame));
        if (list.StarArgs != null)
            positional.AddRange(PyOps.Iterate(Evaluate(list.StarArgs, frame)));
        var named = new List<KeyValuePair<string, object?>>(list.Named.Length);
        foreach (var (name, e) in list.Named) named.Add(new(name, Evaluate(e, frame)));
        if (list.StarKwargs != null && Evaluate(list.StarKwargs, frame) is PyDict kw)
            foreach (var kv in kw) named.Add(new(PyOps.Str(kv.Key), kv.Value));
        return new CallArgs(positional, named);
    }

    private object? ApplyFilter(FilterExpr f, object? value, Frame frame) =>
        Filters.Apply(this, f.Name, value, EvaluateArgs(f.Args, frame));
}

/// <summary>A render target: the text plus, when tracking, where content strings were written.</summary>
internal sealed class OutputBuffer
{
    public StringBuilder Builder { get; } = new();

    public List<ProvenanceTracker.Segment>? Segments { get; set; }
}
