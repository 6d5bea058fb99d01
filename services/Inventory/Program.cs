using Aetherium.Inventory.Persistence;
using Aetherium.ServiceDefaults.Data;
using Aetherium.ServiceDefaults.Messaging;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddServiceDatabase<InventoryDbContext>("inventorydb");
builder.AddServiceBus();

var app = builder.Build();
app.MapDefaultEndpoints();
app.Run();

public partial class Program;
