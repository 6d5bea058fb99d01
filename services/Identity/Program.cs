using Aetherium.Identity.Persistence;
using Aetherium.ServiceDefaults.Data;
using Aetherium.ServiceDefaults.Messaging;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddServiceDatabase<IdentityDbContext>("identitydb");
builder.AddServiceBus();

var app = builder.Build();
app.MapDefaultEndpoints();
app.Run();

public partial class Program;
