using Hotline.Domain;

namespace Hotline.Domain.Tests;

/// <summary>Randomised event streams; the routing invariants are checked after every event.</summary>
public class RoutingPropertyTests
{
    private static readonly string[] Categories = ["wage", "contract", "dismissal", "injury"];
    private static readonly string[] Dialects = ["mandarin", "cantonese", "hakka", "minnan"];

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(2024)]
    public void InvariantsHoldAfterEveryEvent(int seed) => Run(seed, events: 12_000);

    private sealed class Model
    {
        public readonly HashSet<string> Queued = [];
        public readonly Dictionary<string, string> Active = [];
        public readonly HashSet<string> Finished = [];
    }

    private static void Run(int seed, int events)
    {
        var rnd = new Random(seed);
        var options = new RoutingOptions { OfferTimeoutSeconds = 20, SetAwayOnTimeout = rnd.Next(2) == 0 };
        var engine = new RoutingEngine(new RouterState(), options);
        var model = new Model();
        var now = R.T0;
        var lawyerIds = Enumerable.Range(0, 10).Select(i => $"L{i}").ToArray();
        var nextId = 0;
        var offersMade = 0;
        var assigned = 0;
        var routedAt = now; // time of the last successful command: a failed one changes nothing, not even re-matching

        LawyerInfo RandomLawyer(string id) => new(id, id,
            Categories.Where(_ => rnd.NextDouble() < 0.45).DefaultIfEmpty(Categories[rnd.Next(Categories.Length)]).ToList(),
            Dialects.Where(_ => rnd.NextDouble() < 0.4).DefaultIfEmpty(Dialects[rnd.Next(Dialects.Length)]).ToList(),
            rnd.Next(1, 4),
            rnd.NextDouble() switch { < 0.75 => LawyerStatus.Available, < 0.9 => LawyerStatus.Away, _ => LawyerStatus.Offline });

        foreach (var id in lawyerIds) Apply(engine.UpsertLawyer(RandomLawyer(id), now), "upsert");

        void Apply(RoutingResult result, string what)
        {
            Assert.True(result.Succeeded, $"{what}: {result.ErrorCode} {result.ErrorMessage}");
            routedAt = now;
            foreach (var effect in result.Effects)
            {
                switch (effect)
                {
                    case OfferMade o:
                        offersMade++;
                        Assert.Contains(o.ConsultationId, model.Queued);
                        break;
                    case ConsultationAssigned a:
                        assigned++;
                        Assert.True(model.Queued.Remove(a.ConsultationId), $"assigned {a.ConsultationId} not queued");
                        Assert.True(model.Active.TryAdd(a.ConsultationId, a.LawyerId), $"{a.ConsultationId} assigned twice");
                        break;
                }
            }
        }

        T Pick<T>(IReadOnlyList<T> list) => list[rnd.Next(list.Count)];

        for (var i = 0; i < events; i++)
        {
            now = now.AddMilliseconds(rnd.Next(0, 3000));
            var roll = rnd.NextDouble();
            var offered = engine.State.Queue.Values.Where(e => e.OfferedTo is not null).OrderBy(e => e.ConsultationId, StringComparer.Ordinal).ToList();
            if (roll < 0.22)
            {
                var id = $"c{nextId++}";
                var entry = R.Entry(id, Pick(Categories), Pick(Dialects), rnd.NextDouble() < 0.1 ? Channel.Phone : Channel.Web,
                    rnd.NextDouble() < 0.1 ? 1 : 0);
                model.Queued.Add(id);
                Apply(engine.Enqueue(entry, now), "enqueue");
            }
            else if (roll < 0.42 && offered.Count > 0)
            {
                var e = Pick(offered);
                Apply(engine.Accept(e.ConsultationId, e.OfferedTo!, now), "accept");
            }
            else if (roll < 0.48 && offered.Count > 0)
            {
                var e = Pick(offered);
                Apply(engine.Decline(e.ConsultationId, e.OfferedTo!, now), "decline");
            }
            else if (roll < 0.56)
            {
                now = now.AddSeconds(rnd.Next(1, 40));
                Apply(engine.Tick(now), "tick");
            }
            else if (roll < 0.74 && model.Active.Count > 0)
            {
                var id = Pick(model.Active.Keys.Order(StringComparer.Ordinal).ToList());
                Apply(engine.Release(id, now, rnd.NextDouble() < 0.5 ? null : rnd.Next(10, 600)), "release");
                model.Active.Remove(id);
                model.Finished.Add(id);
            }
            else if (roll < 0.80 && model.Queued.Count > 0)
            {
                var id = Pick(model.Queued.Order(StringComparer.Ordinal).ToList());
                Apply(engine.Remove(id, now), "remove");
                model.Queued.Remove(id);
                model.Finished.Add(id);
            }
            else if (roll < 0.84 && model.Active.Count > 0)
            {
                var id = Pick(model.Active.Keys.Order(StringComparer.Ordinal).ToList());
                var current = model.Active[id];
                var preferred = rnd.NextDouble() < 0.3 ? Pick(lawyerIds.Where(l => l != current).ToList()) : null;
                var exclude = rnd.NextDouble() < 0.5 ? current : null;
                model.Active.Remove(id);
                model.Queued.Add(id);
                Apply(engine.Requeue(id, rnd.NextDouble() < 0.3 ? Pick(Categories) : null, preferred, exclude, now), "requeue");
            }
            else if (roll < 0.95)
            {
                Apply(engine.UpsertLawyer(RandomLawyer(Pick(lawyerIds)), now), "upsert");
            }
            else if (roll < 0.97)
            {
                var id = Pick(lawyerIds);
                Apply(rnd.NextDouble() < 0.6 ? engine.LawyerDisconnected(id, now) : engine.LawyerConnected(id, now), "connection");
            }
            else
            {
                // Invalid commands fail and change nothing.
                var before = R.Json(engine.State);
                var existing = model.Active.Keys.FirstOrDefault() ?? model.Queued.FirstOrDefault();
                var bad = rnd.Next(4) switch
                {
                    0 => engine.Accept(model.Queued.FirstOrDefault() ?? "none", "nobody", now),
                    1 when existing is not null => engine.Enqueue(R.Entry(existing), now),
                    2 => engine.Release("missing", now, 1),
                    _ => engine.Decline(model.Queued.FirstOrDefault() ?? "none", "nobody", now),
                };
                Assert.False(bad.Succeeded);
                Assert.Equal(before, R.Json(engine.State));
            }
            CheckInvariants(engine, model, routedAt, $"seed {seed} event {i}", checkFinished: i % 250 == 0 || i == events - 1);

        }
        Console.WriteLine($"seed {seed}: queue {engine.State.Queue.Count}, active {model.Active.Count}, offers {offersMade}, assigned {assigned}");
        Assert.True(offersMade > events / 10, $"too few offers: {offersMade}");
        Assert.True(assigned > events / 20, $"too few assignments: {assigned}");
    }

    private static void CheckInvariants(RoutingEngine engine, Model model, DateTimeOffset now, string where, bool checkFinished)
    {
        var s = engine.State;
        // (b) nothing lost or doubled: each id is in exactly one place.
        if (!model.Queued.SetEquals(s.Queue.Keys)) Assert.Fail($"{where}: queue differs from model");
        var activeInState = new Dictionary<string, string>();
        foreach (var l in s.Lawyers.Values)
            foreach (var id in l.Active.Keys)
                if (!activeInState.TryAdd(id, l.LawyerId)) Assert.Fail($"{where}: {id} active with two lawyers");
        Assert.Equal(model.Active.OrderBy(kv => kv.Key), activeInState.OrderBy(kv => kv.Key));
        if (!model.Active.Keys.ToHashSet().SetEquals(s.ActiveEntries.Keys)) Assert.Fail($"{where}: ActiveEntries differ");
        // (queue and active sets equal the model's, so a finished id can only linger as extra state: checked now and then, it is O(history))
        if (checkFinished) foreach (var id in model.Finished)
            if (s.Queue.ContainsKey(id) || activeInState.ContainsKey(id)) Assert.Fail($"{where}: finished {id} still routed");

        var loads = RoutingPolicy.Loads(s);
        foreach (var l in s.Lawyers.Values)
        {
            var offers = s.Queue.Values.Where(e => e.OfferedTo == l.LawyerId).ToList();
            // (c) offers never push a lawyer over capacity (a capacity lowered below the active count leaves no offers).
            if (offers.Count > 0)
            {
                var load = loads[l.LawyerId];
                if (load.Count > l.Capacity) Assert.Fail($"{where}: {l.LawyerId} load {load.Count} > {l.Capacity}");
                if (load.Phone && load.Count != 1) Assert.Fail($"{where}: {l.LawyerId} has a phone call and more");
            }
            // (d) every offer targets a lawyer eligible for it (capacity aside: the offer itself takes it).
            foreach (var e in offers)
                if (!RoutingPolicy.MatchesIgnoringCapacity(e, l, RoutingPolicy.RulesAt(e, now, engine.Options), now, engine.Options, exclusionsApply: false))
                    Assert.Fail($"{where}: offer of {e.ConsultationId} to ineligible {l.LawyerId}");
        }
        // (a) work-conserving: no waiting entry is eligible for any lawyer with free capacity.
        foreach (var e in s.Queue.Values)
        {
            if (e.OfferedTo is not null) continue;
            var apply = RoutingPolicy.ExclusionsApply(e, s.Lawyers.Values, RoutingPolicy.RulesAt(e, now, engine.Options), now, engine.Options);
            foreach (var l in s.Lawyers.Values)
                if (!(e.Channel != Channel.Phone && engine.ReservedLawyers.Contains(l.LawyerId))
                    && RoutingPolicy.IsEligible(e, l, loads[l.LawyerId], now, engine.Options, apply))
                    Assert.Fail($"{where}: {e.ConsultationId} waits while {l.LawyerId} could take it");
        }
    }
}
