namespace Aetherium.Contracts.Agent;

// The HTTP fallback (DESIGN §6) carries the same payloads as the WebSocket frames:
//   POST /api/v1/agent/register   body NODE_REGISTER data        -> 200 REGISTER_ACK data
//   POST /api/v1/agent/heartbeat  body TELEMETRY_HEARTBEAT data  -> 200 HeartbeatAckData
//   POST /api/v1/agent/metrics    body TELEMETRY_METRICS data    -> 202
//   POST /api/v1/agent/goodbye    (no body)                      -> 204
// Errors are ProblemDetails whose "code" extension is one of AckErrorCodes.

/// <summary>Answer to an HTTP heartbeat: always the current desired state (level-triggered).</summary>
public sealed record HeartbeatAckData(string Status, DesiredStateData Desired);
