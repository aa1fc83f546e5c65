using System.Diagnostics;
using Hotline.Client;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;

namespace Hotline.Testing;

/// <summary>
/// Sends one message at a time on a plain hub connection (see <see cref="Hubs.Raw"/>) to observe the server's own
/// answers: after each <c>unavailable</c> it resends the same clientMessageId (200 ms later) until it is acknowledged;
/// any other error is recorded and the message given up.
/// </summary>
public sealed class PatientSender(HubConnection hub, string consultationId, string who)
{
    private readonly object _gate = new();
    private readonly List<Sender.Acked> _acked = [];
    private readonly List<string> _errors = [];
    private int _unavailable;
    private TimeSpan _longest;
    private TimeSpan _longestAttempt;

    public IReadOnlyList<Sender.Acked> Acked { get { lock (_gate) return _acked.ToList(); } }
    /// <summary>Errors other than <c>unavailable</c> (type and message).</summary>
    public IReadOnlyList<string> OtherErrors { get { lock (_gate) return _errors.ToList(); } }
    /// <summary>How many <c>unavailable</c> answers the server gave.</summary>
    public int Unavailable => Volatile.Read(ref _unavailable);
    /// <summary>Longest time from a message's first attempt to its acknowledgement.</summary>
    public TimeSpan LongestSend { get { lock (_gate) return _longest; } }

    /// <summary>Longest single call, answered or refused: how long the server kept a caller waiting for any answer.</summary>
    public TimeSpan LongestAttempt { get { lock (_gate) return _longestAttempt; } }

    /// <summary>Acknowledged sends whose first attempt started after <paramref name="since"/>.</summary>
    public int AckedAfter(DateTimeOffset since) { lock (_gate) return _acked.Count(a => a.Started > since); }

    public Task Run(CancellationToken stop, TimeSpan interval) => Task.Run(async () =>
    {
        for (var n = 1; !stop.IsCancellationRequested; n++)
        {
            var cmid = $"{who}-{n}-{Guid.NewGuid():N}";
            var text = $"{who} message {n}";
            var started = DateTimeOffset.UtcNow;
            var sw = Stopwatch.StartNew();
            while (true)
            {
                var attempt = Stopwatch.StartNew();
                try
                {
                    var ack = await hub.InvokeAsync<MessageAck>("SendMessage", consultationId, cmid, text);
                    Attempted(attempt.Elapsed);
                    lock (_gate) _acked.Add(new Sender.Acked(cmid, text, ack.Seq, ack.Duplicate, started, DateTimeOffset.UtcNow));
                    break;
                }
                catch (HubException e) when (Hubs.Code(e) == "unavailable")
                {
                    Attempted(attempt.Elapsed);
                    Interlocked.Increment(ref _unavailable);
                    await Task.Delay(200);
                }
                catch (Exception e)
                {
                    Attempted(attempt.Elapsed);
                    lock (_gate) _errors.Add(e.GetType().Name + ": " + e.Message);
                    break;
                }
            }
            lock (_gate) if (sw.Elapsed > _longest) _longest = sw.Elapsed;
            try { await Task.Delay(interval, stop); } catch (OperationCanceledException) { }
        }
    });

    private void Attempted(TimeSpan took)
    {
        lock (_gate) if (took > _longestAttempt) _longestAttempt = took;
    }
}
