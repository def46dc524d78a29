namespace SteerServer.Server.Cli;

/// <summary>One timed run of <see cref="BenchRun"/>.</summary>
internal readonly record struct BenchResult(
    double PrefillTokS,
    double PrefillCpuMs,                        // process CPU time of the whole prefill (all threads, incl. spinning)
    double DecodeTokS,
    double AllocatedBytesPerDecodeToken,        // whole process (GC.GetTotalAllocatedBytes), per decoded token
    double ThreadAllocatedBytesPerDecodeToken,  // the decoding thread only
    double DecodeCpuMsPerStep,                  // process CPU time per decode step: robust to a shared machine with --threads 1
    double DecodeMsPerStep,                     // wall time per decode step
    double SamplingMsPerStep);                  // of which the bench's greedy pick over the vocabulary
