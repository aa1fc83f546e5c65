using Hotline.Client;

namespace Hotline.Testing;

/// <summary>Sends a message every <c>interval</c> until stopped; records what was acknowledged and when.</summary>
public sealed class Sender(HotlineConnection connection, string consultationId, string who)
{
    public sealed record Acked(string ClientMessageId, string Text, long Seq, bool Duplicate, DateTimeOffset Started, DateTimeOffset Completed);

    private readonly List<Acked> _acked = [];
    private readonly List<Exception> _failures = [];

    public IReadOnlyList<Acked> AckedMessages { get { lock (_acked) return _acked.ToList(); } }
    public IReadOnlyList<Exception> Failures { get { lock (_failures) return _failures.ToList(); } }

    /// <summary>Waits until at least <paramref name="count"/> sends were acknowledged (30 s unless given).</summary>
    public Task WaitForAcked(int count, TimeSpan? limit = null) =>
        Wait.Until(() => AckedMessages.Count >= count, limit ?? TimeSpan.FromSeconds(30), () => $"{who}: only {AckedMessages.Count} of {count} sends acknowledged");

    public Task Run(CancellationToken stop, TimeSpan interval) => Task.Run(async () =>
    {
        for (var n = 1; !stop.IsCancellationRequested; n++)
        {
            var id = $"{who}-{n}-{Guid.NewGuid():N}";
            var text = $"{who} message {n}";
            var started = DateTimeOffset.UtcNow;
            try
            {
                var ack = await connection.SendMessage(consultationId, text, id, TimeSpan.FromSeconds(60));
                lock (_acked) _acked.Add(new Acked(id, text, ack.Seq, ack.Duplicate, started, DateTimeOffset.UtcNow));
            }
            catch (Exception e)
            {
                lock (_failures) _failures.Add(e);
            }
            try { await Task.Delay(interval, stop); } catch (OperationCanceledException) { }
        }
    });
}

/// <summary>Checks of a stored transcript against what clients were told.</summary>
public static class Transcripts
{
    public static async Task<List<ChatMessage>> ReadAll(HotlineRest rest, string token, string consultationId)
    {
        var all = new List<ChatMessage>();
        while (true)
        {
            var page = await rest.GetMessages(token, consultationId, all.Count == 0 ? 0 : all[^1].Seq, 1000);
            all.AddRange(page);
            if (page.Count < 1000) return all;
        }
    }

    /// <summary>seq 1..N without gaps, each clientMessageId once, every acknowledged message stored with its seq and text.</summary>
    public static void Verify(IReadOnlyList<ChatMessage> transcript, IEnumerable<Sender.Acked> acked)
    {
        for (var i = 0; i < transcript.Count; i++)
            Assert.True(transcript[i].Seq == i + 1, $"seq gap: position {i} has seq {transcript[i].Seq}");
        var duplicates = transcript.GroupBy(m => m.ClientMessageId).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        Assert.True(duplicates.Count == 0, "clientMessageIds stored more than once: " + string.Join(", ", duplicates));
        var byId = transcript.ToDictionary(m => m.ClientMessageId);
        foreach (var a in acked)
        {
            Assert.True(byId.TryGetValue(a.ClientMessageId, out var stored), $"acknowledged message {a.ClientMessageId} (seq {a.Seq}) is missing");
            Assert.Equal(a.Seq, stored!.Seq);
            Assert.Equal(a.Text, stored.Text);
        }
    }
}

/// <summary>Both sides of a consultation sending every <c>interval</c> (two <see cref="Sender"/>s) until stopped.</summary>
public sealed class TwoWayStream : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task[] _loops;

    public TwoWayStream(HotlineConnection worker, HotlineConnection lawyer, string consultationId, TimeSpan interval)
    {
        Worker = new Sender(worker, consultationId, "worker");
        Lawyer = new Sender(lawyer, consultationId, "lawyer");
        _loops = [Worker.Run(_stop.Token, interval), Lawyer.Run(_stop.Token, interval)];
    }

    public Sender Worker { get; }
    public Sender Lawyer { get; }
    public IReadOnlyList<Sender.Acked> Acked => Worker.AckedMessages.Concat(Lawyer.AckedMessages).ToList();
    public IReadOnlyList<Exception> Failures => Worker.Failures.Concat(Lawyer.Failures).ToList();

    /// <summary>Waits, up to <paramref name="limit"/> and without failing, until each side has <paramref name="count"/>
    /// acknowledged sends started after <paramref name="since"/>; whether they did.</summary>
    public async Task<bool> WaitForEachAfter(DateTimeOffset since, int count, TimeSpan limit)
    {
        bool Done() => Worker.AckedMessages.Count(x => x.Started > since) >= count && Lawyer.AckedMessages.Count(x => x.Started > since) >= count;
        try { await Wait.Until(Done, limit); } catch (TimeoutException) { }
        return Done();
    }

    /// <summary>Stops both senders and waits for their last send to end.</summary>
    public async Task StopAsync()
    {
        if (!_stop.IsCancellationRequested) _stop.Cancel();
        await Task.WhenAll(_loops);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _stop.Dispose();
    }
}
