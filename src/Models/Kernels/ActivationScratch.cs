using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace SteerServer.Models.Kernels;

/// <summary>Per-thread activation scratch of the products (quantised or re-laid inputs), grown on demand and then reused (no per-call allocation).</summary>
internal sealed unsafe class ActivationScratch
{
    [ThreadStatic] private static ActivationScratch? current;
    private short[] q = [];
    private float[] d = [];
    private short[] sums = [];
    private float[] inputs = [];

    public short* Q => (short*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(q));
    public float* D => (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(d));
    public short* S => (short*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(sums));
    public float* Inputs => (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(inputs));

    public static ActivationScratch Get(long qLength, long dLength, long sLength, long inputsLength = 0)
    {
        var s = current ??= new ActivationScratch();
        if (s.q.Length < qLength) s.q = GC.AllocateUninitializedArray<short>((int)qLength, pinned: true);
        if (s.d.Length < dLength) s.d = GC.AllocateUninitializedArray<float>((int)dLength, pinned: true);
        if (s.sums.Length < sLength) s.sums = GC.AllocateUninitializedArray<short>((int)sLength, pinned: true);
        if (s.inputs.Length < inputsLength) s.inputs = GC.AllocateUninitializedArray<float>((int)inputsLength, pinned: true);
        return s;
    }
}
