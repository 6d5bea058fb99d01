using System.Diagnostics;
using System.Runtime.InteropServices;
using Aetherium.Hosting.ApplicationModel;
using Aetherium.Hosting.Infrastructure;
using Aetherium.Hosting.Orchestration;
using Aetherium.Hosting.Telemetry;

namespace Aetherium.Hosting;

/// <summary>
/// Runs the app model (our Aspire DCP): starts each resource once those it waits for are healthy,
/// tracks states by Aspire's names, keeps and echoes their output, restarts projects that crash (with
/// backoff), and stops everything in reverse dependency order (machines elsewhere, the demo fleet, last).
/// Children die with us even on SIGKILL.
/// </summary>
public sealed class DistributedApplication : IAsyncDisposable
{
    /// <summary>Set in every child's environment: which AppHost run it belongs to.</summary>
    public const string RunIdVariable = "AETHERIUM_APPHOST_RUN";

    private readonly DistributedApplicationBuilder _builder;
    private readonly RunContext _context;
    private readonly Dictionary<ResourceInstance, Runner> _runners = [];
    private readonly Dictionary<ResourceInstance, Loop> _loops = [];
    private readonly List<ResourceInstance> _instances = [];
    private readonly ConsoleReporter? _reporter;
    private readonly OtlpReceiver? _otlp;
    private bool _stopped;
    private bool _hooksStarted;

    private sealed class Loop
    {
        public CancellationTokenSource Cancel { get; } = new();
        public Task Task { get; set; } = Task.CompletedTask;
        public volatile bool StopRequested;
    }

    public static DistributedApplicationBuilder CreateBuilder(string[] args) => new(new DistributedApplicationOptions { Args = args });

    internal DistributedApplication(DistributedApplicationBuilder builder)
    {
        _builder = builder;
        RunId = Guid.NewGuid().ToString("N")[..8];
        // Telemetry goes to the collector the user named, else to our own receiver (Aspire's dashboard's role).
        var otlp = OtlpFromConfiguration(builder);
        ExternalOtlpEndpoint = otlp?.Item1;
        if (otlp is null && !builder.Options.DisableDashboard)
        {
            _otlp = OtlpReceiver.FromConfiguration(builder.Configuration, builder.Options.RandomizePorts);
            otlp = (_otlp.GrpcEndpoint, _otlp.Headers);
        }
        _context = new RunContext
        {
            Builder = builder,
            RunId = RunId,
            Addressing = new LocalAddressing(RunId, otlp),
            OnOutput = (instance, line, isError) =>
            {
                instance.Logs.Add(line, isError);
                _reporter?.Output(instance, line, isError);
            },
        };
        if (builder.Options.EchoLogs) _reporter = new ConsoleReporter();

        foreach (var resource in builder.Resources.Where(r => r is not ParameterResource))
        {
            var count = resource is ProjectResource p ? p.Replicas : 1;
            for (var i = 0; i < count; i++)
            {
                var instance = new ResourceInstance(resource, i, count == 1 ? resource.Name : $"{resource.Name}-{i}");
                if (resource is ProjectResource { HasHttpEndpoint: true } project) instance.Url = project.Url(i);
                _instances.Add(instance);
                _runners[instance] = resource switch
                {
                    PostgresServerResource pg => new PostgresRunner(instance, pg, _context),
                    PostgresDatabaseResource db => new DatabaseRunner(instance, db),
                    RabbitMQServerResource mq => new RabbitMqRunner(instance, mq, _context),
                    ProjectResource proj => new ProjectRunner(instance, proj, _context),
                    _ => throw new NotSupportedException(resource.GetType().Name),
                };
                if (_reporter is not null) instance.StateChanged += _reporter.StateChanged;
            }
        }
    }

    public string RunId { get; }
    public DistributedApplicationBuilder Builder => _builder;
    public IReadOnlyList<ResourceInstance> Instances => _instances;
    internal IAddressing Addressing => _context.Addressing;
    /// <summary>What the AppHost's OTLP receiver has taken in; null when there is none (dashboard disabled, external collector).</summary>
    public TelemetryStore? Telemetry => _otlp?.Store;
    /// <summary>The receiver itself (its ports and API key), when there is one.</summary>
    public OtlpReceiver? OtlpReceiver => _otlp;
    /// <summary>The external collector projects export to (OTEL_EXPORTER_OTLP_ENDPOINT given to the AppHost), if any.</summary>
    public string? ExternalOtlpEndpoint { get; }

    /// <summary>Prints a line of the AppHost's own on its console (nothing when logs are not echoed, as in tests).</summary>
    public void Announce(string line) => _reporter?.Line(line);

    /// <summary>Every instance of a resource (one per replica); throws for an unknown name.</summary>
    public IReadOnlyList<ResourceInstance> InstancesOf(string resource)
    {
        var found = _instances.Where(i => i.Resource.Name == resource).ToList();
        return found.Count > 0 ? found : throw new ArgumentException($"No resource named '{resource}'.");
    }

    public ResourceInstance Instance(string resource, int replica = 0) => InstancesOf(resource)[replica];

    public string GetUrl(string project, int replica = 0) =>
        ((ProjectResource)InstancesOf(project)[0].Resource).Url(replica);

    public string GetConnectionString(string resource) =>
        ((IResourceWithConnectionString)InstancesOf(resource)[0].Resource).GetConnectionString();

    /// <summary>The environment a project replica receives (for the dashboard, masked; for tests, resolved).</summary>
    public IReadOnlyDictionary<string, ValueSource> EnvironmentOf(string project, int replica = 0) =>
        EnvironmentResolver.For((ProjectResource)InstancesOf(project)[0].Resource, replica, _context.Addressing);

    public HttpClient CreateHttpClient(string project, int replica = 0) => new() { BaseAddress = new Uri(GetUrl(project, replica)) };

    /// <summary>Starts every resource (except explicit-start ones); returns when all are healthy.</summary>
    public async Task StartAsync(CancellationToken ct = default)
    {
        if (!_hooksStarted)
        {
            _hooksStarted = true;
            if (_otlp is not null) await _otlp.StartAsync(ct);
            foreach (var hook in _builder.LifecycleHooks) await hook.BeforeStartAsync(this, ct);
        }
        foreach (var instance in _instances.Where(i => i.Resource is not ProjectResource { ExplicitStart: true }))
            Launch(instance, waitForDependencies: true);
        var all = Task.WhenAll(_instances.Where(i => i.Resource is not ProjectResource { ExplicitStart: true }).Select(i => i.Healthy));
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(_builder.Options.StartTimeout);
        while (!all.IsCompleted)
        {
            var failed = _instances.FirstOrDefault(i => i.State == ResourceStates.FailedToStart);
            if (failed is not null)
                throw new InvalidOperationException($"{failed.Name} failed to start: {failed.StateReason}\n{Tail(failed)}");
            if (timeout.IsCancellationRequested)
                throw new TimeoutException("Not every resource became healthy in time: " +
                    string.Join(", ", _instances.Where(i => !i.Healthy.IsCompleted).Select(i => $"{i}\n{Tail(i)}")));
            await Task.WhenAny(all, Task.Delay(100, CancellationToken.None));
        }
    }

    /// <summary>
    /// What must be installed for this model to run here, each missing piece as one line saying how
    /// to install it (nothing is missing when the list is empty).
    /// </summary>
    public IReadOnlyList<string> MissingPrerequisites()
    {
        var missing = new List<string>();
        void Check(Func<string> probe)
        {
            try { probe(); }
            catch (PrerequisiteMissingException ex) { if (!missing.Contains(ex.Message)) missing.Add(ex.Message); }
        }
        Check(() => Prerequisites.Setpriv);
        if (_builder.Resources.OfType<PostgresServerResource>().Any(p => !p.IsExternal)) Check(() => Prerequisites.PostgresBin);
        if (_builder.Resources.OfType<RabbitMQServerResource>().Any(m => !m.IsExternal))
        {
            Check(() => Prerequisites.RabbitMqServer);
            Check(() => Prerequisites.Epmd);
        }
        return missing;
    }

    /// <summary>Runs until Ctrl+C, SIGTERM or SIGHUP, then stops everything. Returns the process exit code.</summary>
    public async Task<int> RunAsync()
    {
        if (MissingPrerequisites() is { Count: > 0 } missing)
        {
            foreach (var line in missing) Console.Error.WriteLine(line);
            return 1;
        }
        var stop = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.TrySetResult(); });
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.TrySetResult(); });
        using var sighup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, c => { c.Cancel = true; stop.TrySetResult(); });
        var started = Stopwatch.StartNew();
        _reporter?.Banner(this);
        var start = StartAsync();
        await Task.WhenAny(start, stop.Task);
        if (start.IsCompletedSuccessfully)
        {
            var sinceLaunch = DateTime.Now - Process.GetCurrentProcess().StartTime;
            _reporter?.AllRunning(this, started.Elapsed, sinceLaunch);
            await stop.Task;
        }
        _reporter?.Line("stopping…");
        await StopAsync();
        _reporter?.Line("stopped");
        if (start.IsFaulted)
        {
            _reporter?.Failure(start.Exception!.GetBaseException().Message);
            return 1;
        }
        return 0;
    }

    /// <summary>Starts (again) one resource's instances, without waiting for its dependencies.</summary>
    public Task StartResourceAsync(string resource)
    {
        foreach (var instance in InstancesOf(resource))
            if (!_loops.TryGetValue(instance, out var loop) || loop.Task.IsCompleted) Launch(instance, waitForDependencies: false);
        return Task.WhenAll(InstancesOf(resource).Select(i => i.Healthy));
    }

    /// <summary>Stops one resource's instances; they stay stopped until started again.</summary>
    public Task StopResourceAsync(string resource) => Task.WhenAll(InstancesOf(resource).Select(StopInstanceAsync));

    public async Task RestartResourceAsync(string resource)
    {
        await StopResourceAsync(resource);
        await StartResourceAsync(resource);
    }

    /// <summary>Sends a signal to an instance's process as an outsider would (kill -9 by default): the AppHost sees a crash.</summary>
    public void Kill(string resource, int replica = 0, int signal = ChildProcess.SIGKILL)
    {
        var instance = Instance(resource, replica);
        if (instance.ProcessId is int pid) ChildProcess.Signal(pid, signal);
    }

    /// <summary>Stops everything in <see cref="StopInOrderAsync">shutdown order</see>.</summary>
    public async Task StopAsync()
    {
        if (_stopped) return;
        _stopped = true;
        await StopInOrderAsync(_instances);
        if (_hooksStarted)
            foreach (var hook in Enumerable.Reverse(_builder.LifecycleHooks)) await hook.AfterStopAsync(this);
        if (_otlp is not null) await _otlp.DisposeAsync();
    }

    /// <summary>Stops these resources as a shutdown would (a control-plane restart in a test); they stay stopped until started again.</summary>
    public Task StopResourcesAsync(params string[] resources) =>
        StopInOrderAsync(resources.SelectMany(InstancesOf).ToList());

    /// <summary>Starts these resources (again) as the AppHost starts them, each once those it waits for are healthy; returns when all are.</summary>
    public Task StartResourcesAsync(params string[] resources)
    {
        var instances = resources.SelectMany(InstancesOf).ToList();
        foreach (var instance in instances)
            if (!_loops.TryGetValue(instance, out var loop) || loop.Task.IsCompleted) Launch(instance, waitForDependencies: true);
        return Task.WhenAll(instances.Select(i => i.Healthy));
    }

    /// <summary>
    /// Dependents before what they depend on, except that projects marked <see cref="ProjectResource.StopsLast"/>
    /// (machines elsewhere: the demo fleet) stop after all the others, so their agents never see the control plane
    /// without them as a dead worker would be seen.
    /// </summary>
    private async Task StopInOrderAsync(IReadOnlyCollection<ResourceInstance> instances)
    {
        static bool Last(ResourceInstance i) => i.Resource is ProjectResource { StopsLast: true };
        var stopping = new Dictionary<ResourceInstance, Task>();
        Task StopAfterDependents(ResourceInstance instance)
        {
            if (stopping.TryGetValue(instance, out var existing)) return existing;
            var dependents = instances.Where(i => !Last(i) && DependsOn(i.Resource, instance.Resource)).ToList();
            var task = Task.WhenAll(dependents.Select(StopAfterDependents)).ContinueWith(_ => StopInstanceAsync(instance)).Unwrap();
            stopping[instance] = task;
            return task;
        }
        await Task.WhenAll(instances.Where(i => !Last(i)).Select(StopAfterDependents));
        await Task.WhenAll(instances.Where(Last).Select(StopInstanceAsync));
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _context.Http.Dispose();
        if (_builder.Options.DeleteDataDirectoryOnDispose)
        {
            try { Directory.Delete(_builder.DataDirectory, recursive: true); }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { }
        }
    }

    private static bool DependsOn(Resource resource, Resource on) =>
        resource != on && (resource.WaitsFor.Contains(on) || resource.References.Contains(on) || resource.Parent == on);

    private void Launch(ResourceInstance instance, bool waitForDependencies)
    {
        var loop = new Loop();
        _loops[instance] = loop;
        // Synchronously, so a caller that awaits Healthy right after waits for this start, not the last one.
        instance.SetState(waitForDependencies ? ResourceStates.Waiting : ResourceStates.Starting);
        loop.Task = Task.Run(() => RunLoopAsync(instance, loop, waitForDependencies));
    }

    private async Task RunLoopAsync(ResourceInstance instance, Loop loop, bool waitForDependencies)
    {
        var runner = _runners[instance];
        var ct = loop.Cancel.Token;
        try
        {
            var dependencies = instance.Resource.WaitsFor.Concat(instance.Resource.Parent is { } p ? [p] : []).Distinct().ToList();
            if (waitForDependencies && dependencies.Count > 0)
            {
                instance.SetState(ResourceStates.Waiting, "waiting for " + string.Join(", ", dependencies.Select(d => d.Name)));
                await Task.WhenAll(dependencies.SelectMany(d => _instances.Where(i => i.Resource == d)).Select(i => i.Healthy)).WaitAsync(ct);
            }
            var backoff = TimeSpan.FromMilliseconds(500);
            while (!loop.StopRequested)
            {
                instance.SetState(ResourceStates.Starting);
                try
                {
                    await runner.StartAsync(ct);
                    instance.StartedAt = DateTimeOffset.UtcNow;
                }
                catch (Exception ex) when (!loop.StopRequested)
                {
                    instance.Logs.Add(ex.Message, isError: true);
                    instance.SetState(ResourceStates.FailedToStart, ex.Message);
                    if (!runner.Restartable || ex is FileNotFoundException) return;
                    await Task.Delay(backoff, ct);
                    backoff = Next(backoff);
                    continue;
                }
                var startedAt = DateTimeOffset.UtcNow;
                var exited = runner.Exited;
                while (!exited.IsCompleted && !loop.StopRequested)
                {
                    var healthy = await runner.IsHealthyAsync(ct);
                    if (healthy) instance.SetState(ResourceStates.Running);
                    else if (instance.State == ResourceStates.Running) instance.SetState(ResourceStates.Unhealthy, "health check failing");
                    // Probe fast until first healthy, so start-up is not padded by the probe interval.
                    await Task.WhenAny(exited, Task.Delay(instance.State == ResourceStates.Starting ? 100 : 1000, ct));
                }
                if (loop.StopRequested) return;
                instance.ExitCode = runner.ExitCode;
                instance.SetState(ResourceStates.Exited, $"exit code {runner.ExitCode?.ToString() ?? "?"}");
                if (!runner.Restartable) return;
                if (DateTimeOffset.UtcNow - startedAt > TimeSpan.FromSeconds(30)) backoff = TimeSpan.FromMilliseconds(500);
                await Task.Delay(backoff, ct);
                backoff = Next(backoff);
                instance.Restarts++;
            }
        }
        catch (OperationCanceledException) when (loop.StopRequested) { }
    }

    private static TimeSpan Next(TimeSpan backoff) => TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));

    private async Task StopInstanceAsync(ResourceInstance instance)
    {
        if (!_loops.TryGetValue(instance, out var loop)) return;
        loop.StopRequested = true;
        var wasRunning = instance.State is not (ResourceStates.NotStarted or ResourceStates.Exited or ResourceStates.FailedToStart);
        if (wasRunning) instance.SetState(ResourceStates.Stopping);
        await loop.Cancel.CancelAsync();
        try { await loop.Task; } catch (OperationCanceledException) { }
        await _runners[instance].StopAsync();
        instance.ExitCode = _runners[instance].ExitCode;
        if (wasRunning || instance.State == ResourceStates.Waiting) instance.SetState(ResourceStates.Exited, "stopped");
    }

    private static string Tail(ResourceInstance instance) =>
        string.Join('\n', instance.Logs.Snapshot().TakeLast(30).Select(l => $"  {instance.Name} | {l.Text}"));

    /// <summary>An external collector named by the user (OTEL_EXPORTER_OTLP_ENDPOINT given to the AppHost) is passed on unchanged.</summary>
    private static (string, string?)? OtlpFromConfiguration(DistributedApplicationBuilder builder) =>
        builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"] is { Length: > 0 } endpoint
            ? (endpoint, builder.Configuration["OTEL_EXPORTER_OTLP_HEADERS"])
            : null;
}
