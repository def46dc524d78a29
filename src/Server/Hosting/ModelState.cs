namespace SteerServer.Server.Hosting;

/// <summary>Lifecycle of the served model; only <see cref="Ready"/> accepts generation requests.</summary>
public enum ModelState
{
    Loading,
    Ready,
    Draining,
    Failed,
}
