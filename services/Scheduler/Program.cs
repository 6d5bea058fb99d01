using Aetherium.Scheduler;
using Aetherium.Scheduler.Images;
using Aetherium.Scheduler.Persistence;
using Aetherium.Scheduler.Vms;
using Aetherium.Scheduler.Workers;
using Aetherium.ServiceDefaults.Data;
using Aetherium.ServiceDefaults.Messaging;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddServiceDatabase<SchedulerDbContext>("schedulerdb");
builder.AddServiceBus(x => x.AddSchedulerConsumers());
builder.AddScheduler();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapVmEndpoints();
app.MapImageEndpoints();
app.MapSchedulerWorkerEndpoints();
app.Run();

public partial class Program;
