using Aetherium.Identity.Accounts;
using Aetherium.Identity.Http;
using Aetherium.Identity.Organizations;
using Aetherium.Identity.Persistence;
using Aetherium.Identity.Sessions;
using Aetherium.Identity.Tokens;
using Aetherium.Identity.Wallets;
using Aetherium.Identity.WorkerTokens;
using Aetherium.ServiceDefaults.Data;
using Aetherium.ServiceDefaults.Messaging;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddServiceDatabase<IdentityDbContext>("identitydb");
builder.AddServiceBus(x => x.AddConsumer<RevokeWorkerTokensConsumer>());
builder.AddIdentityRateLimits();

builder.Services.AddSingleton(sp => JwtSettings.From(sp.GetRequiredService<IConfiguration>()));
builder.Services.AddOptions<WalletSettings>().BindConfiguration("Wallet");
builder.Services.AddSingleton<SigningKeyStore>();
builder.Services.AddSingleton<KeyStoreConfigurationManager>();
builder.Services.AddSingleton<IPostConfigureOptions<JwtBearerOptions>, OwnTokenValidation>();
builder.Services.AddSingleton<TokenIssuer>();
builder.Services.AddSingleton<IPasswordHasher<User>, PasswordHasher<User>>();
builder.Services.AddScoped<SessionService>();
// After the migration service (AddServiceDatabase), before the server listens: keys, then the admin.
builder.Services.AddHostedService<KeyMaintenance>();
builder.Services.AddHostedService<AdminSeeder>();
builder.Services.AddHostedService<Housekeeping>();

var app = builder.Build();
app.UseForwardedHeaders();
app.MapDefaultEndpoints();
app.UseRateLimiter();

app.MapDiscovery();
app.MapClientCredentials();
app.MapAccounts();
app.MapSessions();
app.MapWallet();
app.MapInvites();
app.MapWorkerTokens();
app.Run();

public partial class Program;
