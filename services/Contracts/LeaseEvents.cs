namespace Aetherium.Contracts;

public sealed record LeaseCreated(Guid LeaseId, Guid OrganizationId, Guid UserId, IReadOnlyList<Guid> VmIds, DateTimeOffset LeasedFrom, DateTimeOffset LeasedUntil, DateTimeOffset OccurredAt);

public sealed record LeaseExtended(Guid LeaseId, Guid OrganizationId, DateTimeOffset NewEnd, DateTimeOffset OccurredAt);

public sealed record LeaseReleased(Guid LeaseId, Guid OrganizationId, IReadOnlyList<Guid> VmIds, DateTimeOffset OccurredAt);

public sealed record LeaseExpired(Guid LeaseId, Guid OrganizationId, IReadOnlyList<Guid> VmIds, DateTimeOffset LeasedUntil, DateTimeOffset OccurredAt);
