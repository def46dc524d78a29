namespace SteerServer.Models.Kernels;

/// <summary>
/// A small number as a type. A kernel generic over <see cref="ICount"/> is compiled once per count, so the
/// accumulators and branches a smaller tile does not use are removed by the JIT: one tile body serves every size.
/// </summary>
internal interface ICount
{
    static abstract int Value { get; }
}

internal readonly struct Count1 : ICount { public static int Value => 1; }
internal readonly struct Count2 : ICount { public static int Value => 2; }
internal readonly struct Count3 : ICount { public static int Value => 3; }
internal readonly struct Count4 : ICount { public static int Value => 4; }
internal readonly struct Count5 : ICount { public static int Value => 5; }
internal readonly struct Count6 : ICount { public static int Value => 6; }
internal readonly struct Count7 : ICount { public static int Value => 7; }
internal readonly struct Count8 : ICount { public static int Value => 8; }
internal readonly struct Count9 : ICount { public static int Value => 9; }
internal readonly struct Count10 : ICount { public static int Value => 10; }
internal readonly struct Count11 : ICount { public static int Value => 11; }
internal readonly struct Count12 : ICount { public static int Value => 12; }
