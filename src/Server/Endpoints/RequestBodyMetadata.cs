namespace SteerServer.Server.Endpoints;

/// <summary>
/// Names the JSON body type of an endpoint for the OpenAPI document only. (<c>Accepts&lt;T&gt;</c> would also make
/// routing refuse bodies without <c>Content-Type: application/json</c>, such as <c>curl -d</c>'s.)
/// </summary>
public sealed record RequestBodyMetadata(Type BodyType);
