using System.Runtime.Intrinsics;

namespace SteerServer.Models.Kernels;

/// <summary>
/// Instruction-set width of a kernel. <see cref="Auto"/> takes the widest accelerated one
/// (Vector512, else Vector256, else scalar); the others force a path for tests and benchmarks.
/// The environment variable <c>STEERSERVER_KERNEL</c> (<c>v512</c>, <c>v256</c>, <c>scalar</c>) forces one for a whole process.
/// </summary>
public enum KernelVariant
{
    Auto,
    V512,
    V256,
    Scalar,
}

/// <summary>Resolves <see cref="KernelVariant.Auto"/> once, and checks that a forced variant can run here.</summary>
public static class KernelDispatch
{
    private static readonly KernelVariant Best = PickBest();

    /// <summary>The variant <see cref="KernelVariant.Auto"/> resolves to on this machine.</summary>
    public static KernelVariant BestVariant => Best;

    /// <summary>Every variant this machine can run, widest first (what tests and benchmarks iterate).</summary>
    public static IReadOnlyList<KernelVariant> Available { get; } = ListAvailable();

    public static KernelVariant Resolve(KernelVariant requested)
    {
        if (requested == KernelVariant.Auto) return Best;
        if (requested == KernelVariant.V512 && !Vector512.IsHardwareAccelerated) return Resolve(KernelVariant.V256);
        if (requested == KernelVariant.V256 && !Vector256.IsHardwareAccelerated) return KernelVariant.Scalar;
        return requested;
    }

    private static KernelVariant PickBest()
    {
        var forced = Environment.GetEnvironmentVariable("STEERSERVER_KERNEL")?.Trim().ToLowerInvariant();
        var natural = Vector512.IsHardwareAccelerated ? KernelVariant.V512
            : Vector256.IsHardwareAccelerated ? KernelVariant.V256 : KernelVariant.Scalar;
        return forced switch
        {
            "v512" when natural == KernelVariant.V512 => KernelVariant.V512,
            "v256" when natural != KernelVariant.Scalar => KernelVariant.V256,
            "scalar" => KernelVariant.Scalar,
            _ => natural,
        };
    }

    private static List<KernelVariant> ListAvailable()
    {
        var list = new List<KernelVariant>();
        if (Vector512.IsHardwareAccelerated) list.Add(KernelVariant.V512);
        if (Vector256.IsHardwareAccelerated) list.Add(KernelVariant.V256);
        list.Add(KernelVariant.Scalar);
        return list;
    }
}
