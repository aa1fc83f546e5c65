using System.Collections.Concurrent;
using Hotline.Grains;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;

namespace Hotline.Grains.Tests;

/// <summary>A push that a grain sent to a client.</summary>
public sealed record Push(string Audience, string Id, string Method, object Payload);

/// <summary>Records pushes so that tests can await them (the SignalR side is covered by the API tests).</summary>
public sealed class RecordingNotifier : IClientNotifier
{
    private readonly List<Push> _pushes = [];
    private readonly List<(Func<Push, bool> Match, TaskCompletionSource<Push> Done)> _waiters = [];
    private readonly Lock _gate = new();

    public IWorkerClient Worker(string workerId) => new Audience(this, "worker", workerId);
    public ILawyerClient Lawyer(string lawyerId) => new Audience(this, "lawyer", lawyerId);
    public IAdminClient Admins => new Audience(this, "admins", "");

    /// <summary>One addressee: each typed event is recorded under its method name.</summary>
    private sealed class Audience(RecordingNotifier owner, string audience, string id) : IWorkerClient, ILawyerClient, IAdminClient
    {
        private Task Add(string method, object payload) => owner.Add(new(audience, id, method, payload));
        public Task Message(MessageView message) => Add(nameof(Message), message);
        public Task MessageWithdrawn(MessageWithdrawnEvent withdrawn) => Add(nameof(MessageWithdrawn), withdrawn);
        public Task Typing(TypingEvent typing) => Add(nameof(Typing), typing);
        public Task StatusChanged(StatusChangedEvent status) => Add(nameof(StatusChanged), status);
        public Task Assigned(AssignedEvent assigned) => Add(nameof(Assigned), assigned);
        public Task QueueUpdate(QueueUpdateEvent update) => Add(nameof(QueueUpdate), update);
        public Task Offer(OfferEvent offer) => Add(nameof(Offer), offer);
        public Task OfferRevoked(OfferRevokedEvent revoked) => Add(nameof(OfferRevoked), revoked);
        public Task LawyerStatus(LawyerView lawyer) => Add(nameof(LawyerStatus), lawyer);
        public Task Metrics(MetricsSnapshot metrics) => owner.HeldMetrics is { } hold ? hold.Reach() : Add(nameof(Metrics), metrics);
        public Task Alert(AlertView alert) => owner.HeldAlerts is { } hold ? hold.Reach() : Add(nameof(Alert), alert);
    }

    private Task Add(Push push)
    {
        List<TaskCompletionSource<Push>> done = [];
        lock (_gate)
        {
            _pushes.Add(push);
            for (var i = _waiters.Count - 1; i >= 0; i--)
                if (_waiters[i].Match(push)) { done.Add(_waiters[i].Done); _waiters.RemoveAt(i); }
        }
        foreach (var d in done) d.TrySetResult(push);
        return Task.CompletedTask;
    }

    public IReadOnlyList<Push> All { get { lock (_gate) return _pushes.ToList(); } }

    /// <summary>While set, an admin <c>Metrics</c> push does not complete until released (a backplane that hangs).</summary>
    public Hold? HeldMetrics { get; set; }

    /// <summary>While set, an admin <c>Alert</c> push does not complete until released.</summary>
    public Hold? HeldAlerts { get; set; }

    /// <summary>Pushes that hang: <see cref="Reached"/> completes when one is made, each completes on <see cref="Release"/>.</summary>
    public sealed class Hold
    {
        public TaskCompletionSource Reached { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        internal Task Reach()
        {
            Reached.TrySetResult();
            return Release.Task;
        }
    }

    public async Task<T> WaitFor<T>(string audience, string id, string method, Func<T, bool>? match = null, double seconds = 15)
    {
        bool Matches(Push p) => p.Audience == audience && p.Id == id && p.Method == method && p.Payload is T t && (match?.Invoke(t) ?? true);
        TaskCompletionSource<Push> tcs;
        lock (_gate)
        {
            var existing = _pushes.FirstOrDefault(Matches);
            if (existing is not null) return (T)existing.Payload;
            tcs = new(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((Matches, tcs));
        }
        return (T)(await tcs.Task.WaitAsync(TimeSpan.FromSeconds(seconds))).Payload;
    }
}

/// <summary>One in-process silo on the project's SQLite storage, with a 3 s offer deadline and a 1 s lawyer grace period.</summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    public static readonly RecordingNotifier Notifier = new();
    /// <summary>Faults tests arm on the silo's message store (a pass-through decorator of the real one otherwise).</summary>
    public static readonly Hotline.Testing.StoreFaults StoreFaults = new();
    /// <summary>Grain calls tests make fail before they reach their grain, or wait to have been served.</summary>
    public static readonly Hotline.Testing.GrainCallFaults CallFaults = new();
    public string DataPath { get; } = Path.Combine(Path.GetTempPath(), "hotline-grains-" + Guid.NewGuid().ToString("N"));
    public InProcessTestCluster Cluster { get; private set; } = null!;
    public IGrainFactory Grains => Cluster.Client;

    public async Task InitializeAsync()
    {
        var builder = new InProcessTestClusterBuilder(1);
        var dataPath = DataPath;
        builder.ConfigureSilo((_, silo) =>
        {
            silo.AddHotlineStorage(HotlineStorageOptions.ForSqlite(dataPath));
            silo.Services.AddSingleton<IClientNotifier>(Notifier);
            silo.Services.AddSingleton<IIncomingGrainCallFilter>(CallFaults);
            silo.Services.AddSingleton<IMessageStore>(sp => new Hotline.Testing.FailingMessageStore(sp.GetRequiredService<Hotline.Storage.SqlMessageStore>(), StoreFaults));
            silo.Services.Configure<RoutingOptions>(o => o.OfferTimeoutSeconds = 3);
            silo.Services.Configure<GrainOptions>(o => { o.LawyerGraceSeconds = 1; o.ConnectionLeaseSeconds = 0; o.MetricsIntervalSeconds = 60; });
        });
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    public async Task DisposeAsync()
    {
        await Cluster.DisposeAsync();
        try { Directory.Delete(DataPath, recursive: true); } catch (IOException) { }
    }
}

[CollectionDefinition(nameof(ClusterCollection))]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>;
