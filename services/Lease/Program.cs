using Aetherium.Lease.Expiry;
using Aetherium.Lease.Leases;
using Aetherium.Lease.Persistence;
using Aetherium.Lease.Pricing;
using Aetherium.Lease.Usage;
using Aetherium.Lease.Vms;
using Aetherium.ServiceDefaults.Data;
using Aetherium.ServiceDefaults.Messaging;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddServiceDatabase<LeaseDbContext>("leasedb");
builder.AddServiceBus(x =>
{
    x.AddConsumer<VmScheduledConsumer>();
    x.AddConsumer<VmStateChangedConsumer>();
    x.AddConsumer<VmUnschedulableConsumer>();
    x.AddConsumer<VmDeletedConsumer>();
});
builder.Services.AddOptions<LeaseSettings>().BindConfiguration("Lease");
// After the migration service (AddServiceDatabase): the first pass catches up on leases that ended while down.
builder.Services.AddHostedService<ExpiryLoop>();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapLeases();
app.MapPricing();
app.MapUsage();
app.Run();

public partial class Program;
