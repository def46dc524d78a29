using SteerServer.Steering;
using SteerServer.Steering.Influence;

namespace SteerServer.Server.Endpoints;

/// <summary>A prompt ready for the worker: its token ids, the steering plan for them, and the Influence result when asked.</summary>
public sealed record PreparedPrompt(int[] Ids, SteeringPlan Plan, InfluenceResult? Influence);
