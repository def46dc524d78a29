using System.Reflection;
using SteerServer.Models.Errors;

namespace SteerServer.Models.Inference;

/// <summary>
/// Finds the <see cref="IBackendFactory"/> for a backend name. "cpu" is built in; any other name N is the single public
/// factory of assembly <c>SteerServer.Backends.N</c> (capitalised, e.g. <c>SteerServer.Backends.Torch.dll</c> next to the
/// app), loaded only when asked for, so users of the CPU engine never load another backend's native libraries.
/// </summary>
public static class BackendFactories
{
    public const string Default = "cpu";

    public static IBackendFactory Get(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var key = name.Trim().ToLowerInvariant();
        if (key is "" or Default) return new CpuBackendFactory();
        if (!key.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'))
            throw SteerException.InvalidRequest($"--backend must be a backend name such as 'cpu' or 'torch', got '{name}'", "backend");
        var assemblyName = "SteerServer.Backends." + char.ToUpperInvariant(key[0]) + key[1..];
        var assembly = LoadAssembly(assemblyName) ?? throw SteerException.InvalidRequest(
            $"--backend {key}: {assemblyName}.dll is not installed next to the application. Build the {key} variant " +
            $"(dotnet build|run|publish src/Server -p:Backends={key}; see the README), or use --backend cpu.", "backend");
        var types = assembly.GetExportedTypes().Where(t => typeof(IBackendFactory).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false }).ToList();
        if (types.Count != 1)
            throw SteerException.InvalidRequest($"--backend {key}: {assemblyName} must hold exactly one public IBackendFactory, it holds {types.Count}", "backend");
        return (IBackendFactory)Activator.CreateInstance(types[0])!;
    }

    private static Assembly? LoadAssembly(string assemblyName)
    {
        var path = Path.Combine(AppContext.BaseDirectory, assemblyName + ".dll");
        try
        {
            return File.Exists(path) ? Assembly.LoadFrom(path) : Assembly.Load(new AssemblyName(assemblyName));
        }
        catch (FileNotFoundException)
        {
            return null;
        }
    }
}
