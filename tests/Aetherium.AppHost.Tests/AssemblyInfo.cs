// These tests drive Linux processes, /proc and POSIX file modes.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
// Several classes start whole systems (and one times a restart): on two cores they run one at a time.
[assembly: Xunit.CollectionBehavior(DisableTestParallelization = true)]
