using BenchmarkDotNet.Running;

// dotnet run -c Release --project benchmarks/Aetherium.Inventory.Benchmarks -- --filter '*'
// HeartbeatHandling: one agent frame from bytes to state in memory (CPU only).
// HeartbeatFlush: one batch of the newest heartbeat of N workers written to a private PostgreSQL.
BenchmarkSwitcher.FromAssembly(typeof(Aetherium.Inventory.Benchmarks.HeartbeatHandling).Assembly).Run(args);
