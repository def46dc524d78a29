using Microsoft.Extensions.Options;
using SteerServer.Models.Errors;
using SteerServer.Server.Options;

namespace SteerServer.Server.Worker;

/// <summary>
/// The memory of Influence captures, queued and running, across requests (<see cref="QueueOptions.InfluenceMemoryMb"/>).
/// A request reserves its capture before it is queued and releases it when its pass ends, so a capture that cannot
/// fit is refused before anything is allocated.
/// </summary>
public sealed class InfluenceBudget(IOptions<QueueOptions> options)
{
    private long used;

    public long CapacityBytes { get; } = (long)options.Value.InfluenceMemoryMb << 20;

    public long UsedBytes => Interlocked.Read(ref used);

    /// <summary>Reserves <paramref name="bytes"/>: 400 when it can never fit, 429 when it does not fit beside the passes in flight.</summary>
    public void Reserve(long bytes, int promptTokens)
    {
        long mb = (bytes + (1 << 20) - 1) >> 20;
        if (bytes > CapacityBytes)
            throw SteerException.InvalidRequest(
                $"Invalid 'steering.influence': the Influence pass over {promptTokens} prompt tokens needs {mb} MiB of attention capture, " +
                $"over this server's limit of {CapacityBytes >> 20} MiB (SteerServer:Queue:InfluenceMemoryMb). Use a shorter prompt.",
                "steering.influence");
        while (true)
        {
            long current = Interlocked.Read(ref used);
            if (current + bytes > CapacityBytes)
                throw new SteerException(ErrorKind.Overloaded,
                    $"The server is busy: Influence passes in flight hold {current >> 20} of {CapacityBytes >> 20} MiB " +
                    $"(SteerServer:Queue:InfluenceMemoryMb) and this one needs {mb} MiB. Retry later.", "steering.influence", "rate_limit_exceeded");
            if (Interlocked.CompareExchange(ref used, current + bytes, current) == current) return;
        }
    }

    public void Release(long bytes) => Interlocked.Add(ref used, -bytes);
}
