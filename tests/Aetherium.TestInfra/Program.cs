using Aetherium.Testing;

// Starts the one PostgreSQL and the one RabbitMQ that a whole test run shares, writes the variables
// the tests read into the file given as argument (KEY=VALUE lines, for `set -a; . file`), and keeps
// them running until it is told to stop (SIGTERM/SIGINT) or its parent dies.
if (args.Length != 1)
{
    Console.Error.WriteLine("usage: Aetherium.TestInfra <env-file>");
    return 2;
}

var started = DateTime.UtcNow;
var (postgres, rabbit) = await SharedInfrastructure.StartPrivateAsync();
var lines = new[]
{
    $"{SharedInfrastructure.PostgresVariable}='{postgres.ConnectionString("postgres")}'",
    $"{SharedInfrastructure.MessagingVariable}='{rabbit.ConnectionString()}'",
    $"{SharedInfrastructure.ManagementVariable}='{SharedInfrastructure.ManagementUrl(rabbit)}'",
};
var tmp = args[0] + ".tmp";
await File.WriteAllLinesAsync(tmp, lines);
File.Move(tmp, args[0], overwrite: true);
Console.WriteLine($"test infrastructure ready in {(DateTime.UtcNow - started).TotalSeconds:0.0} s: PostgreSQL on {postgres.Port}, RabbitMQ on {rabbit.Port}");

var stop = new TaskCompletionSource();
using var term = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, c => { c.Cancel = true; stop.TrySetResult(); });
using var intr = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGINT, c => { c.Cancel = true; stop.TrySetResult(); });
await stop.Task;
await rabbit.DisposeAsync();
await postgres.DisposeAsync();
Console.WriteLine("test infrastructure stopped");
return 0;
