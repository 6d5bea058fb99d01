using BenchmarkDotNet.Running;

namespace Aetherium.Benchmarks;

public static class Program
{
    /// <summary>Every benchmark class of this assembly; pick with --filter, list with --list flat.</summary>
    public static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}
