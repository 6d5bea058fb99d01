using Aetherium.Contracts;
using Aetherium.Contracts.Agent;
using Aetherium.Inventory.Persistence;
using Aetherium.ServiceDefaults.Auth;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Aetherium.Inventory.Agents;

/// <summary>Who an agent is once its worker token checked out; Status is its worker's status at that moment, From the address it connected from.</summary>
public sealed record AgentIdentity(Guid WorkerId, Guid OrganizationId, Guid TokenId, string Status = "", string? From = null);

public sealed record AgentAuthResult(AgentIdentity? Agent, string? Code, string? Message)
{
    public static AgentAuthResult Fail(string code, string message) => new(null, code, message);
}

/// <summary>
/// Checks an agent's worker token the way DESIGN §6 names the outcomes. The signature, issuer,
/// audience and lifetime are validated offline with the keys JwtBearer already holds (identity's
/// JWKS), so an expired token is told apart from an invalid one; then the database says whether the
/// token was revoked and the worker exists and may connect.
/// WORKER_INACTIVE: the worker is in maintenance (its owner took it out of service; activate lets the agent back).
/// </summary>
public sealed class AgentAuthenticator(IOptionsMonitor<JwtBearerOptions> jwt, IServiceScopeFactory scopes, ILogger<AgentAuthenticator> log)
{
    private static readonly JsonWebTokenHandler Handler = new() { MapInboundClaims = false };

    public async Task<AgentAuthResult> AuthenticateAsync(string? token, HttpContext http, CancellationToken ct)
    {
        var result = await AuthenticateAsync(token, ct);
        return result.Agent is null ? result : result with { Agent = result.Agent with { From = http.Connection.RemoteIpAddress?.ToString() } };
    }

    public async Task<AgentAuthResult> AuthenticateAsync(string? token, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(token))
            return AgentAuthResult.Fail(AckErrorCodes.InvalidToken, "No worker token was presented (Authorization: Bearer <token>).");
        try
        {
            var checkedToken = await ValidateAsync(token, ct);
            if (checkedToken.Agent is null) return checkedToken;
            return await CheckWorkerAsync(checkedToken.Agent, ct);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            log.LogError("Agent authentication failed on an internal error: {Error}", ex.Message);
            return AgentAuthResult.Fail(AckErrorCodes.InternalError, "The controller could not check the token; retry later.");
        }
    }

    private async Task<AgentAuthResult> ValidateAsync(string token, CancellationToken ct)
    {
        var options = jwt.Get(JwtBearerDefaults.AuthenticationScheme);
        var result = await Handler.ValidateTokenAsync(token, await ParametersAsync(options, ct));
        if (!result.IsValid && result.Exception is SecurityTokenSignatureKeyNotFoundException && options.ConfigurationManager is not null)
        {
            // A key identity rotated in since the JWKS was cached: refresh once, as JwtBearer does.
            options.ConfigurationManager.RequestRefresh();
            result = await Handler.ValidateTokenAsync(token, await ParametersAsync(options, ct));
        }
        if (!result.IsValid)
            return result.Exception is SecurityTokenExpiredException
                ? AgentAuthResult.Fail(AckErrorCodes.TokenExpired, "The worker token has expired; generate a new one for this worker.")
                : AgentAuthResult.Fail(AckErrorCodes.InvalidToken, "The worker token is not valid.");

        var claims = result.ClaimsIdentity;
        var isWorker = claims.FindAll(Claims.Role).Any(c => c.Value == Roles.Worker);
        if (!isWorker
            || !Guid.TryParse(claims.FindFirst(Claims.Worker)?.Value, out var workerId)
            || !Guid.TryParse(claims.FindFirst(Claims.Organization)?.Value, out var orgId)
            || !Guid.TryParse(claims.FindFirst(Claims.TokenId)?.Value, out var tokenId))
            return AgentAuthResult.Fail(AckErrorCodes.InvalidToken, "This is not a worker token.");
        return new AgentAuthResult(new AgentIdentity(workerId, orgId, tokenId), null, null);
    }

    private static async Task<TokenValidationParameters> ParametersAsync(JwtBearerOptions options, CancellationToken ct)
    {
        var p = options.TokenValidationParameters.Clone();
        var keys = new List<SecurityKey>(p.IssuerSigningKeys ?? []);
        if (p.IssuerSigningKey is not null) keys.Add(p.IssuerSigningKey);
        if (options.Configuration is not null) keys.AddRange(options.Configuration.SigningKeys);
        if (options.ConfigurationManager is not null)
            keys.AddRange((await options.ConfigurationManager.GetConfigurationAsync(ct)).SigningKeys);
        p.IssuerSigningKeys = keys;
        return p;
    }

    private async Task<AgentAuthResult> CheckWorkerAsync(AgentIdentity agent, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<InventoryDbContext>();
        if (await db.RevokedTokens.AnyAsync(r => r.TokenId == agent.TokenId, ct))
            return AgentAuthResult.Fail(AckErrorCodes.TokenRevoked, "The worker token was revoked.");
        var worker = await db.Workers.AsNoTracking()
            .Where(w => w.Id == agent.WorkerId)
            .Select(w => new { w.OrganizationId, w.Status, w.DeletedAt })
            .FirstOrDefaultAsync(ct);
        // A token for another organisation's worker tells nothing about that worker.
        if (worker is null || worker.OrganizationId != agent.OrganizationId)
            return AgentAuthResult.Fail(AckErrorCodes.WorkerNotFound, "No such worker.");
        if (worker.DeletedAt is not null)
            return AgentAuthResult.Fail(AckErrorCodes.TokenRevoked, "The worker was deleted; its tokens are revoked.");
        if (worker.Status == WorkerStatus.Maintenance)
            return AgentAuthResult.Fail(AckErrorCodes.WorkerInactive, "The worker is in maintenance; its owner must activate it first.");
        return new AgentAuthResult(agent with { Status = worker.Status }, null, null);
    }
}
