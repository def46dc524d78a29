using System.Runtime.InteropServices;

namespace SteerServer.Models.Kernels;

/// <summary>Linux <c>madvise</c> hints for weight memory; elsewhere (or if the kernel refuses) they do nothing.</summary>
public static unsafe class PageAdvice
{
    private const int MadvDontNeed = 4;  // linux/mman.h
    private const int MadvHugePage = 14;
    private const long PageSize = 4096;

    /// <summary>Ask for transparent huge pages over a 2 MiB aligned range.</summary>
    public static void HugePages(void* start, long bytes)
    {
        if (OperatingSystem.IsLinux()) _ = madvise(start, (nuint)bytes, MadvHugePage);
    }

    /// <summary>
    /// Drop the pages of a read-only file mapping from this process (the data stays in the file and the page cache):
    /// once a checkpoint tensor is packed, its mapped copy would otherwise double the resident memory until unmapped.
    /// </summary>
    public static void DropMapped(void* start, long bytes)
    {
        if (!OperatingSystem.IsLinux()) return;
        long first = ((long)start + PageSize - 1) & ~(PageSize - 1), end = ((long)start + bytes) & ~(PageSize - 1);
        if (end > first) _ = madvise((void*)first, (nuint)(end - first), MadvDontNeed);
    }

    [DllImport("libc", EntryPoint = "madvise")]
    private static extern int madvise(void* address, nuint length, int advice);
}
