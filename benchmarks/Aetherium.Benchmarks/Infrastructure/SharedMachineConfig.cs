using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Aetherium.Benchmarks.Infrastructure;

/// <summary>
/// A configuration for benchmarks run on a shared, busy machine: besides the mean it shows the fastest
/// iteration and the operations per second it stands for, the figure least disturbed by other processes,
/// and it allows a slow build of the generated project. Use it with <c>[Config(typeof(SharedMachineConfig))]</c>.
/// </summary>
public sealed class SharedMachineConfig : ManualConfig
{
    public SharedMachineConfig()
    {
        AddColumn(StatisticColumn.Min, StatisticColumn.Median, StatisticColumn.OperationsPerSecond, new BestOperationsPerSecondColumn());
        // Building the generated project on a busy 2-core machine can take longer than the default 2 minutes.
        WithBuildTimeout(TimeSpan.FromMinutes(10));
    }
}

/// <summary>1 / the fastest iteration's time per operation.</summary>
public sealed class BestOperationsPerSecondColumn : IColumn
{
    public string Id => nameof(BestOperationsPerSecondColumn);
    public string ColumnName => "Op/s (best)";
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Statistics;
    public int PriorityInCategory => 100;
    public bool IsNumeric => true;
    public UnitType UnitType => UnitType.Dimensionless;
    public string Legend => "Operations per second in the fastest iteration (the least disturbed by other processes)";

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase)
    {
        var min = summary[benchmarkCase]?.ResultStatistics?.Min;
        return min is > 0 ? (1e9 / min.Value).ToString("N0", System.Globalization.CultureInfo.InvariantCulture) : "NA";
    }

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style) => GetValue(summary, benchmarkCase);
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    public bool IsAvailable(Summary summary) => true;
}
