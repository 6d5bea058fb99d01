namespace Aetherium.Contracts.Internal;

// Calls between services over HTTP (service discovery + a `service` token from identity's
// client-credentials grant). Public API shapes live with each service; only these cross services.

/// <summary>
/// <c>POST {identity}/internal/worker-tokens</c> (role <c>service</c>): mint a token for one worker of one
/// organisation. ExpiresInSeconds defaults to one year (seed 004). 200 <see cref="IssuedWorkerToken"/>.
/// </summary>
public sealed record IssueWorkerTokenRequest(Guid WorkerId, Guid OrganizationId, long? ExpiresInSeconds = null);

public sealed record IssuedWorkerToken(string Token, Guid TokenId, DateTimeOffset ExpiresAt);

/// <summary>One worker token as identity keeps it; Status is active, revoked or expired.</summary>
public sealed record WorkerTokenRecord(Guid TokenId, Guid WorkerId, Guid OrganizationId, string Status,
    DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt, DateTimeOffset? RevokedAt, string? RevokedReason);

public sealed record WorkerTokenPage(IReadOnlyList<WorkerTokenRecord> WorkerTokens, int Total, int Page, int Limit);

/// <summary>
/// <c>GET {identity}/internal/worker-tokens?worker_id=&amp;page=&amp;limit=</c> answers a <see cref="WorkerTokenPage"/>;
/// <c>POST {identity}/internal/worker-tokens/{id}/revoke</c> with this body answers the <see cref="WorkerTokenRecord"/>,
/// 404 when that worker has no such token (role <c>service</c>, both).
/// </summary>
public sealed record RevokeWorkerTokenRequest(Guid WorkerId, string Reason);
