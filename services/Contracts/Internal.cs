namespace Aetherium.Contracts.Internal;

// Calls between services over HTTP (service discovery + a `service` token from identity's
// client-credentials grant). Public API shapes live with each service; only these cross services.

/// <summary>
/// <c>POST {identity}/internal/worker-tokens</c> (role <c>service</c>): mint a token for one worker of one
/// organisation. ExpiresInSeconds defaults to one year (seed 004). 200 <see cref="IssuedWorkerToken"/>.
/// </summary>
public sealed record IssueWorkerTokenRequest(Guid WorkerId, Guid OrganizationId, long? ExpiresInSeconds = null);

public sealed record IssuedWorkerToken(string Token, Guid TokenId, DateTimeOffset ExpiresAt);
