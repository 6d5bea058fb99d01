// Whole systems per test class on 2 cores: one class at a time keeps timings honest.
[assembly: Xunit.CollectionBehavior(DisableTestParallelization = true)]
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
