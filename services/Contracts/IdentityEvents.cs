namespace Aetherium.Contracts;

public sealed record UserRegistered(Guid UserId, string Username, Guid OrganizationId, IReadOnlyList<string> Roles, DateTimeOffset OccurredAt);

public sealed record WorkerTokenIssued(Guid TokenId, Guid WorkerId, Guid OrganizationId, DateTimeOffset ExpiresAt, DateTimeOffset OccurredAt);

/// <summary>Inventory refuses the token (jti = TokenId) from the moment it sees this.</summary>
public sealed record WorkerTokenRevoked(Guid TokenId, Guid WorkerId, Guid OrganizationId, DateTimeOffset OccurredAt);

/// <summary>Command: revoke every token issued for a worker (sent by inventory when a worker is deleted).</summary>
public sealed record RevokeWorkerTokens(Guid WorkerId, Guid OrganizationId, string Reason);
