using Aetherium.AppHost;
using Aetherium.AppHost.Dashboard;
using Aetherium.Hosting;

// dotnet run --project AppHost                       runs the whole system (DESIGN §3)
// dotnet run --project AppHost -- publish k8s <dir>  renders Kubernetes manifests from the same model (DESIGN §10)
if (args.Length > 0 && args[0] == "publish") return PublishCommand.Run(args);

var builder = DistributedApplication.CreateBuilder(args);
AetheriumModel.Define(builder);
builder.AddDashboard();
await using var app = builder.Build();
return await app.RunAsync();
