namespace SteerServer.Models.Inference;

/// <summary>
/// Keys and values of one sequence for every layer, up to <see cref="Capacity"/> positions. A handle owned by the
/// backend that created it (<see cref="IModelBackend.CreateCache"/>); its layout is the backend's business.
/// </summary>
public abstract class KvCache : IDisposable
{
    /// <summary>Positions filled.</summary>
    public abstract int Length { get; }

    /// <summary>The most positions this cache will hold.</summary>
    public abstract int Capacity { get; }

    /// <summary>Device bytes held now (memory may grow with use, so this can be far below Capacity's cost).</summary>
    public abstract long AllocatedBytes { get; }

    /// <summary>Keeps the first <paramref name="length"/> positions (0 ≤ length ≤ <see cref="Length"/>).</summary>
    public abstract void Truncate(int length);

    /// <summary>
    /// A new cache of <paramref name="capacity"/> positions holding this cache's first <paramref name="length"/>
    /// (copied or shared, the backend's choice; either way the two caches are independent from here on).
    /// </summary>
    public abstract KvCache Fork(int length, int capacity);

    public virtual void Dispose() => GC.SuppressFinalize(this);
}
