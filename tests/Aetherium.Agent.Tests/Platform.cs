// The agent and its tests are Linux-only: /proc, cgroups, process groups, systemd.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
