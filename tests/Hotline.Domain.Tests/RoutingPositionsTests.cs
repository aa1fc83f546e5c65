namespace Hotline.Domain.Tests;

/// <summary>
/// <see cref="RoutingEngine.FlushPositions"/> (incremental: ranks kept per category, estimates reused while nothing they
/// depend on changed) against the full computation it replaced: <see cref="RoutingEngine.ComputePositions"/> diffed against
/// everything pushed so far, after every step of long random command streams.
/// </summary>
public class RoutingPositionsTests
{
    private static readonly string[] Categories = ["wage", "contract", "dismissal", "injury"];
    private static readonly string[] Dialects = ["mandarin", "cantonese", "hakka", "minnan"];
    private static readonly string[] Employers = ["acme", "fuzhou-textile", "xiamen-port"];

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Flushed_positions_equal_the_full_computation_after_every_step(int seed)
    {
        var rnd = new Random(seed);
        var options = new RoutingOptions { DefaultHandleSeconds = 240 };
        var engine = new RoutingEngine(new RouterState(), options);
        var now = R.T0;
        var pushed = new Dictionary<string, QueuePosition>(StringComparer.Ordinal);
        var dirty = true;
        var next = 0;
        var lawyers = 0;
        int flushes = 0, nonEmpty = 0, restarts = 0;

        void Do(RoutingResult r)
        {
            dirty |= r.Succeeded;
            // The engine forgets what it pushed for an entry the moment it is assigned or removed (so one requeued before the
            // next flush is pushed again).
            if (r.Effects.Any(e => e is ConsultationAssigned) || pushed.Count > engine.State.Queue.Count)
                foreach (var id in pushed.Keys.Where(k => !engine.State.Queue.ContainsKey(k)).ToList()) pushed.Remove(id);
        }

        for (var step = 0; step < 3_000; step++)
        {
            // Time: often none (a flush at the same instant as the last one: the estimates are reused), else up to 40 s, so
            // entries age through both widening steps (60 s, 180 s) and offers time out.
            if (rnd.NextDouble() < 0.6) now = now.AddMilliseconds(rnd.Next(1, 40_000));
            for (var c = rnd.Next(1, 4); c > 0; c--)
            {
                // Picked by index from the state's own collections (materialising them per command made the test slow).
                var queue = engine.State.Queue.Values;
                var offered = queue.Where(e => e.OfferedTo is not null);
                var waiting = queue.Where(e => e.OfferedTo is null);
                var active = engine.State.ActiveEntries.Keys;
                var roll = rnd.NextDouble();
                if (lawyers < 3 || roll < 0.08)
                {
                    var id = $"L{rnd.Next(Math.Min(lawyers + 1, 16))}";
                    if (id == $"L{lawyers}") lawyers++;
                    var skills = Categories.Where(_ => rnd.NextDouble() < 0.5).DefaultIfEmpty(Categories[rnd.Next(4)]);
                    var dialects = new[] { "mandarin" }.Concat(Dialects.Skip(1).Where(_ => rnd.NextDouble() < 0.3));
                    var status = rnd.NextDouble() switch { < 0.7 => LawyerStatus.Available, < 0.85 => LawyerStatus.Away, _ => LawyerStatus.Offline };
                    var conflicts = rnd.NextDouble() < 0.2 ? [Employers[rnd.Next(Employers.Length)]] : Array.Empty<string>();
                    Do(engine.UpsertLawyer(new LawyerInfo(id, id, skills.ToList(), dialects.ToList(), rnd.Next(1, 4), status, conflicts), now));
                }
                else if (roll < 0.45)
                {
                    var e = new QueueEntry
                    {
                        ConsultationId = $"c{next++}",
                        Category = Categories[rnd.Next(Categories.Length)],
                        Dialect = Dialects[rnd.Next(Dialects.Length)],
                        Channel = rnd.NextDouble() < 0.1 ? Channel.Phone : Channel.Web,
                        Priority = rnd.NextDouble() < 0.05 ? 1 : 0,
                        EmployerKey = rnd.NextDouble() < 0.3 ? Employers[rnd.Next(Employers.Length)] : null,
                        PreferredLawyerId = rnd.NextDouble() < 0.05 ? $"L{rnd.Next(lawyers)}" : null,
                    };
                    Do(engine.Enqueue(e, now));
                }
                else if (roll < 0.62 && offered.Any())
                {
                    var e = offered.ElementAt(rnd.Next(offered.Count()));
                    Do(rnd.NextDouble() < 0.75 ? engine.Accept(e.ConsultationId, e.OfferedTo!, now) : engine.Decline(e.ConsultationId, e.OfferedTo!, now));
                }
                else if (roll < 0.77 && active.Count > 0)
                {
                    var id = active.ElementAt(rnd.Next(active.Count));
                    Do(rnd.NextDouble() < 0.8
                        ? engine.Release(id, now, rnd.NextDouble() < 0.5 ? null : rnd.Next(30, 900))
                        : engine.Requeue(id, rnd.NextDouble() < 0.5 ? Categories[rnd.Next(4)] : null, rnd.NextDouble() < 0.3 ? $"L{rnd.Next(lawyers)}" : null, null, now));
                }
                else if (roll < 0.82 && waiting.Any())
                {
                    var e = waiting.ElementAt(rnd.Next(waiting.Count()));
                    if (rnd.NextDouble() < 0.5)
                    {
                        var id = e.ConsultationId;
                        Do(engine.Remove(id, now));
                        pushed.Remove(id);
                    }
                    else Do(engine.Requeue(e.ConsultationId, Categories[rnd.Next(4)], null, null, now));
                }
                else if (roll < 0.88)
                {
                    var id = $"L{rnd.Next(lawyers)}";
                    Do(rnd.NextDouble() < 0.5 ? engine.LawyerDisconnected(id, now) : engine.LawyerConnected(id, now));
                }
                else Do(engine.Tick(now));
            }

            if (rnd.NextDouble() < 0.01)
            {
                // A new activation over the same state, taking over what was pushed (as after a snapshot or a restart).
                var state = JsonSerializer.Deserialize<RouterState>(JsonSerializer.Serialize(engine.State, Json), Json)!;
                var fresh = new RoutingEngine(state, options);
                fresh.CarryPositionsFrom(engine);
                engine = fresh;
                Do(engine.Recover(now));
                restarts++;
            }
            if (rnd.NextDouble() < 0.3) continue; // commands pile up between flushes too

            var expected = Expected(engine, now, pushed, ref dirty);
            var actual = engine.FlushPositions(now)?.Positions ?? [];
            flushes++;
            if (actual.Count > 0) nonEmpty++;
            if (!expected.SequenceEqual(actual))
                Assert.Fail($"seed {seed}, step {step}, {now:O}: {expected.Count} expected, {actual.Count} flushed; only expected: " +
                    $"[{string.Join(", ", expected.Except(actual).Take(5))}]; only flushed: [{string.Join(", ", actual.Except(expected).Take(5))}]");
        }
        Assert.True(nonEmpty > flushes / 3, $"only {nonEmpty} of {flushes} flushes pushed anything");
        Assert.True(restarts > 0);
    }

    [Fact]
    public void A_change_to_a_lawyer_alone_is_pushed_at_the_same_instant()
    {
        // Nothing waiting moves, no time passes: only a lawyer's status changes what the estimates come from.
        var engine = R.TwoLawyers();
        var t = R.T0.AddSeconds(10);
        foreach (var id in new[] { "x1", "x2" })
        {
            var offer = engine.Enqueue(R.Entry(id), t).Ok().SingleOffer();
            engine.Accept(id, offer.LawyerId, t).Ok();
        }
        foreach (var id in new[] { "w1", "w2", "w3" }) engine.Enqueue(R.Entry(id), t).Ok();
        var first = engine.FlushPositions(t)!.Positions;
        Assert.Equal(["w1", "w2", "w3"], first.Select(p => p.ConsultationId));
        Assert.All(first, p => Assert.Equal(2, p.LawyersOnline));

        engine.UpsertLawyer(R.Lawyer("b", "wage", "mandarin", status: LawyerStatus.Away), t).Ok();
        var full = engine.ComputePositions(t);
        Assert.All(full, p => Assert.Equal(1, p.LawyersOnline));
        // The whole computation differs from what was pushed for every entry, so all three are pushed again, as it says.
        Assert.Equal(full, engine.FlushPositions(t)?.Positions ?? []);
        Assert.Null(engine.FlushPositions(t));
    }

    [Fact]
    public void A_category_nobody_waits_in_any_more_is_dropped()
    {
        // A transfer may name any category: the position index must not keep a list for every name ever used.
        var engine = R.Engine(); // no lawyers: everything waits
        var t = R.T0;
        for (var i = 0; i < 300; i++)
        {
            engine.Enqueue(R.Entry($"c{i}"), t).Ok();
            engine.Requeue($"c{i}", $"transferred-{i}", null, null, t).Ok();
        }
        Assert.Equal(300, engine.FlushPositions(t)!.Positions.Count);
        Assert.Equal(300, engine.PositionCategories);

        for (var i = 1; i < 300; i++) engine.Remove($"c{i}", t).Ok();
        engine.FlushPositions(t);
        Assert.Equal(1, engine.PositionCategories);

        // A name used before is filed again from scratch, at the right rank.
        engine.Enqueue(R.Entry("again", category: "transferred-7"), t).Ok();
        engine.Enqueue(R.Entry("first", category: "transferred-7", priority: 1), t).Ok();
        var pushed = engine.FlushPositions(t)!.Positions;
        Assert.Equal(engine.ComputePositions(t).Where(p => p.ConsultationId is "again" or "first"), pushed);
        Assert.Equal([("first", 1), ("again", 2)], pushed.Select(p => (p.ConsultationId, p.Position)));
        Assert.Equal(2, engine.PositionCategories);
    }

    /// <summary>What FlushPositions returned before it was incremental: the full computation, diffed against what was pushed.</summary>
    private static List<QueuePosition> Expected(RoutingEngine engine, DateTimeOffset now, Dictionary<string, QueuePosition> pushed, ref bool dirty)
    {
        if (!dirty) return [];
        dirty = false;
        if (engine.State.Queue.Count == 0 && pushed.Count == 0) return [];
        var positions = engine.ComputePositions(now);
        var changed = new List<QueuePosition>();
        foreach (var p in positions)
        {
            if (pushed.TryGetValue(p.ConsultationId, out var old) && old == p) continue;
            pushed[p.ConsultationId] = p;
            changed.Add(p);
        }
        var live = positions.Select(p => p.ConsultationId).ToHashSet(StringComparer.Ordinal);
        foreach (var id in pushed.Keys.Where(k => !live.Contains(k)).ToList()) pushed.Remove(id);
        return changed;
    }

    private static readonly JsonSerializerOptions Json = R.StorageJson;
}
