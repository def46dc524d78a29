namespace SteerServer.Server.Hub;

/// <summary>Download progress of one file: bytes on disk so far (resumed bytes included) of <see cref="TotalBytes"/>.</summary>
public sealed record HubProgress(string File, long Bytes, long TotalBytes, int FileNumber, int FileCount);
