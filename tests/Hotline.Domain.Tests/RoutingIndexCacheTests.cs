namespace Hotline.Domain.Tests;

/// <summary>
/// The routing index caches its per-entry slot and per-lawyer record on the state's own objects (<c>QueueEntry.IndexSlot</c>,
/// <c>LawyerSlot.IndexRecord</c>), valid only for the index generation that made them. These tests drive an engine whose
/// objects carry caches of an earlier generation (a clock that went back, so the indexes were rebuilt; a second engine
/// over the same objects) next to an engine restored from a JSON copy of the same state (no caches at all), and require the
/// same effects from both, command by command. A stale slot or record taken for a current one makes them part.
/// </summary>
public class RoutingIndexCacheTests
{
    private static readonly string[] Categories = ["wage", "contract", "dismissal"];
    private static readonly string[] Dialects = ["mandarin", "cantonese", "hakka"];

    [Theory]
    [InlineData(3)]
    [InlineData(11)]
    public void A_clock_that_goes_back_rebuilds_the_indexes_and_decides_as_a_restored_engine(int seed)
    {
        var world = new World(seed);
        var engine = world.Warm();
        var restored = new RoutingEngine(Copy(engine.State), engine.Options);
        // Back by more than a step ever moves it on: the first command rebuilds the indexes over the objects the engine cached
        // its slots and records on.
        world.Now = world.Now.AddSeconds(-20);
        world.Drive(engine, restored, cycles: 400);
    }

    [Theory]
    [InlineData(5)]
    [InlineData(17)]
    public void A_new_engine_over_the_same_objects_ignores_the_old_engines_caches(int seed)
    {
        var world = new World(seed);
        var old = world.Warm();
        var handedOver = new RoutingEngine(old.State, old.Options);
        var restored = new RoutingEngine(Copy(old.State), old.Options);
        world.Drive(handedOver, restored, cycles: 400);
    }

    private static RouterState Copy(RouterState state) =>
        JsonSerializer.Deserialize<RouterState>(JsonSerializer.SerializeToUtf8Bytes(state, R.StorageJson), R.StorageJson)!;

    /// <summary>A small hotline: 24 lawyers of mixed skills, dialects and capacity, a queue of about 40, phone calls (so lawyers
    /// are held), declines (exclusions), named lawyers (preferences), and time passing through the widening steps.</summary>
    private sealed class World(int seed)
    {
        private readonly Random _rnd = new(seed);
        private int _next, _held;
        public DateTimeOffset Now = R.T0;

        public RoutingEngine Warm()
        {
            var engine = R.Engine();
            for (var i = 0; i < 24; i++)
            {
                var skills = Categories.Where((_, k) => k == i % 3 || _rnd.NextDouble() < 0.4).ToArray();
                var dialects = Dialects.Where((_, k) => k == 0 || _rnd.NextDouble() < 0.3).ToArray();
                engine.UpsertLawyer(new LawyerInfo($"L{i}", $"L{i}", skills, dialects, 1 + _rnd.Next(3), LawyerStatus.Available), Now).Ok();
            }
            for (var i = 0; i < 100; i++) Step(engine, null);
            return engine;
        }

        /// <summary>The same commands, at the same times, to both engines; their effects must be the same.</summary>
        public void Drive(RoutingEngine a, RoutingEngine b, int cycles)
        {
            var offers = a.OffersMade;
            for (var i = 0; i < cycles; i++) Step(a, b);
            Assert.Equal(Describe(b.State), Describe(a.State));
            Assert.True(a.OffersMade - offers > cycles / 4, $"only {a.OffersMade - offers} offers in {cycles} cycles");
            Assert.True(_held > 0, "no lawyer was ever held for a call");
        }

        private void Step(RoutingEngine a, RoutingEngine? b)
        {
            Now = Now.AddSeconds(_rnd.Next(1, 9));
            var both = Both(a, b, e => e.Tick(Now));
            var roll = _rnd.NextDouble();
            if (roll < 0.45 || a.State.Queue.Count < 10)
            {
                var entry = new QueueEntry
                {
                    ConsultationId = $"c{_next++}",
                    Category = Categories[_rnd.Next(Categories.Length)],
                    Dialect = Dialects[_rnd.Next(Dialects.Length)],
                    Channel = _rnd.NextDouble() < 0.15 ? Channel.Phone : Channel.Web,
                    Priority = _rnd.NextDouble() < 0.1 ? 1 : 0,
                    PreferredLawyerId = _rnd.NextDouble() < 0.1 ? $"L{_rnd.Next(24)}" : null,
                };
                both = Both(a, b, e => e.Enqueue(entry.Clone(), Now));
            }
            else if (roll < 0.75 && a.State.ActiveEntries.Count > 0)
            {
                var id = a.State.ActiveEntries.Keys.OrderBy(k => k, StringComparer.Ordinal).ElementAt(_rnd.Next(a.State.ActiveEntries.Count));
                both = Both(a, b, e => e.Release(id, Now, null));
            }
            else if (roll < 0.8)
            {
                var id = $"L{_rnd.Next(24)}";
                var status = _rnd.NextDouble() < 0.5 ? LawyerStatus.Away : LawyerStatus.Available;
                var l = a.State.Lawyers[id];
                both = Both(a, b, e => e.UpsertLawyer(new LawyerInfo(id, id, l.Skills, l.Dialects, l.Capacity, status, l.Conflicts), Now));
            }
            // Answer the offers: mostly accepted, some declined.
            foreach (var offer in both.OfType<OfferMade>().ToList())
            {
                if (!a.State.Queue.TryGetValue(offer.ConsultationId, out var e) || e.OfferedTo != offer.LawyerId) continue;
                if (_rnd.NextDouble() < 0.15) Both(a, b, x => x.Decline(offer.ConsultationId, offer.LawyerId, Now));
                else Both(a, b, x => x.Accept(offer.ConsultationId, offer.LawyerId, Now));
            }
        }

        private IReadOnlyList<RoutingEffect> Both(RoutingEngine a, RoutingEngine? b, Func<RoutingEngine, RoutingResult> command)
        {
            var ra = command(a);
            if (b is not null)
            {
                var rb = command(b);
                Assert.Equal(Describe(rb), Describe(ra));
                if (a.ReservedLawyers.Count > 0) _held++;
            }
            return ra.Effects;
        }

        private static string Describe(RoutingResult r) =>
            $"{r.ErrorCode}|{string.Join(";", r.Effects.Where(e => e is not QueuePositionsChanged))}";

        private static string Describe(RouterState s) => string.Join(";",
            s.Queue.Values.OrderBy(e => e.ConsultationId, StringComparer.Ordinal).Select(e => $"{e.ConsultationId}>{e.OfferedTo}")
                .Concat(s.Lawyers.Values.OrderBy(l => l.LawyerId, StringComparer.Ordinal)
                    .Select(l => $"{l.LawyerId}:{string.Join(",", l.Active.Keys.Order(StringComparer.Ordinal))}")));
    }
}
