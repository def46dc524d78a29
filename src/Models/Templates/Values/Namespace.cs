namespace SteerServer.Models.Templates.Values;

/// <summary>Jinja's <c>namespace()</c>: the one object a template may assign attributes on across scopes.</summary>
internal sealed class Namespace
{
    public PyDict Attributes { get; } = new();
}
