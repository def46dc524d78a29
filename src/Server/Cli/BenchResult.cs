namespace SteerServer.Server.Cli;

/// <summary>One timed run of <see cref="BenchRun"/>.</summary>
internal readonly record struct BenchResult(
    double PrefillTokS,
    double DecodeTokS,
    double AllocatedBytesPerDecodeToken,        // whole process (GC.GetTotalAllocatedBytes), per decoded token
    double ThreadAllocatedBytesPerDecodeToken); // the decoding thread only
