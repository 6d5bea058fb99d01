// The agent manages Linux machines: /proc, cgroups, process groups, systemd.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
