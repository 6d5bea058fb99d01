using Aetherium.Scheduler.Persistence;
using Aetherium.ServiceDefaults.Data;
using Aetherium.ServiceDefaults.Messaging;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddServiceDatabase<SchedulerDbContext>("schedulerdb");
builder.AddServiceBus();

var app = builder.Build();
app.MapDefaultEndpoints();
app.Run();

public partial class Program;
