namespace Hotline.Domain.Tests;

/// <summary>
/// Random event streams against an independent reference model of domain.md ("Routing" and "Nobody stranded"), written
/// here without <see cref="RoutingPolicy"/>: the oracle keeps its own world (lawyers, consultations, offers, exclusions,
/// preferences) from the commands and the engine's effects, and after every event checks liveness, priority then age across
/// channels, exclusion limits, capacity and conflicts of interest, and that engine and oracle agree on every offer and
/// assignment. Restarts serialise the engine state to JSON mid-run, restore it into a new engine and run its recovery.
/// </summary>
public class RoutingOracleTests
{
    private const double OfferSeconds = 20, ExclusionSeconds = 300, PreferenceSeconds = 120;
    private static readonly string[] Categories = ["wage", "contract", "dismissal", "injury"];
    private static readonly string[] Dialects = ["mandarin", "cantonese", "hakka", "minnan"];
    // Keys as EmployerName builds them: with and without a place ("place:name"), so the broader conflict rule is exercised.
    private static readonly string[] Employers = ["acme", "fuzhou-textile", "xiamen-port", "厦门:abc电子", "泉州:abc电子", "abc电子"];

    private static readonly JsonSerializerOptions Json = R.StorageJson;

    [Theory]
    [InlineData(1, true)]
    [InlineData(7, false)]
    [InlineData(2024, true)]
    public void EngineAgreesWithTheReferenceModel(int seed, bool setAway) => new Run(seed, setAway).Go(events: 20_000);

    // ---- the reference model ----

    private sealed class Lawyer
    {
        public required string Id;
        public HashSet<string> Skills = [], Dialects = [], Conflicts = [];
        public int Capacity;
        public LawyerStatus Status;
        public bool Connected = true;
    }

    private sealed class Consultation
    {
        public required string Id;
        public required string Category, Dialect;
        public Channel Channel;
        public int Priority;
        public DateTimeOffset QueuedAt, RoutedSince;
        public long Order;
        public string? Employer;
        public Dictionary<string, DateTimeOffset> Excluded = [];
        public string? Preferred;
        public DateTimeOffset PreferredUntil;
        public string? OfferedTo;
        public DateTimeOffset OfferExpires;
        public string? AssignedTo;
        public bool Waiting => AssignedTo is null && OfferedTo is null;
    }

    /// <summary>Higher priority first, then the one waiting longest (first queued), then arrival order.</summary>
    private static int Before(Consultation a, Consultation b)
    {
        if (a.Priority != b.Priority) return b.Priority.CompareTo(a.Priority);
        if (a.QueuedAt != b.QueuedAt) return a.QueuedAt.CompareTo(b.QueuedAt);
        return a.Order.CompareTo(b.Order);
    }

    /// <summary>Category and dialect, relaxed over time since (re)routing: 60 s category + Mandarin, 180 s anyone.</summary>
    private static bool Speaks(Consultation c, Lawyer l, DateTimeOffset now)
    {
        var age = (now - c.RoutedSince).TotalSeconds;
        if (age >= 180) return true;
        if (!l.Skills.Contains(c.Category)) return false;
        return l.Dialects.Contains(c.Dialect) || (age >= 60 && l.Dialects.Contains("mandarin"));
    }

    /// <summary>docs/employer-names.md: a conflict covers the same employer; a conflict or a consultation that names no city matches the name in any city.</summary>
    private static bool Conflicted(Consultation c, Lawyer l) => c.Employer is { } e && l.Conflicts.Any(k => k == e || (NameOf(k) == NameOf(e) && (!k.Contains(':') || !e.Contains(':'))));

    private static string NameOf(string key) => key.Contains(':') ? key[(key.IndexOf(':') + 1)..] : key;

    /// <summary>Who the consultation is for, ignoring status, load and exclusions.</summary>
    private static bool Fits(Consultation c, Lawyer l, DateTimeOffset now) =>
        !Conflicted(c, l) && (c.Preferred is { } p ? p == l.Id : Speaks(c, l, now));

    private static bool OnDuty(Lawyer l) => l.Status == LawyerStatus.Available && l.Connected && l.Capacity > 0;

    private sealed class Run(int seed, bool setAway)
    {
        private readonly Random _rnd = new(seed);
        private readonly RoutingOptions _options = new()
        {
            OfferTimeoutSeconds = OfferSeconds, ExclusionSeconds = ExclusionSeconds, PreferenceTimeoutSeconds = PreferenceSeconds,
            SetAwayOnTimeout = setAway,
            Widening =
            [
                new WideningStep { AfterSeconds = 60, RequireCategory = true, AlsoDialects = ["mandarin"] },
                new WideningStep { AfterSeconds = 180, RequireCategory = false, AnyDialect = true },
            ],
        };
        private RoutingEngine _engine = null!;
        private readonly Dictionary<string, Lawyer> _lawyers = [];
        private readonly Dictionary<string, Consultation> _cons = [];
        private DateTimeOffset _now = R.T0;
        private long _order;
        private int _nextId, _offers, _assigned, _restarts, _claims, _reservedSeen, _strandedByExclusion;
        private string _where = "";

        private T Pick<T>(IReadOnlyList<T> list) => list[_rnd.Next(list.Count)];
        private List<Consultation> Where(Func<Consultation, bool> f) => _cons.Values.Where(f).OrderBy(c => c.Order).ToList();

        /// <summary>An exclusion counts while younger than its limit, and only if someone else on duty could take it.</summary>
        private bool Excluded(Consultation c, Lawyer l)
        {
            if (!c.Excluded.TryGetValue(l.Id, out var since) || (_now - since).TotalSeconds >= ExclusionSeconds) return false;
            return _lawyers.Values.Any(o => OnDuty(o) && Fits(c, o, _now)
                && !(c.Excluded.TryGetValue(o.Id, out var s) && (_now - s).TotalSeconds < ExclusionSeconds));
        }

        private (int Count, bool Phone) Load(Lawyer l)
        {
            var count = 0;
            var phone = false;
            foreach (var c in _cons.Values)
                if (c.OfferedTo == l.Id || c.AssignedTo == l.Id)
                {
                    count++;
                    phone |= c.Channel == Channel.Phone;
                }
            return (count, phone);
        }

        private bool Room(Lawyer l, Channel channel)
        {
            var (count, phone) = Load(l);
            return l.Capacity > 0 && !phone && (channel == Channel.Phone ? count == 0 : count < l.Capacity);
        }

        private LawyerInfo RandomLawyer(string id) => new(id, id,
            Categories.Where(_ => _rnd.NextDouble() < 0.45).DefaultIfEmpty(Pick(Categories)).ToList(),
            Dialects.Where(_ => _rnd.NextDouble() < 0.4).DefaultIfEmpty(Pick(Dialects)).ToList(),
            _rnd.NextDouble() < 0.05 ? 0 : _rnd.Next(1, 4),
            _rnd.NextDouble() switch { < 0.75 => LawyerStatus.Available, < 0.9 => LawyerStatus.Away, _ => LawyerStatus.Offline },
            Employers.Where(_ => _rnd.NextDouble() < 0.15).ToList());

        public void Go(int events)
        {
            _engine = new RoutingEngine(new RouterState(), _options);
            var ids = Enumerable.Range(0, 8).Select(i => $"L{i}").ToArray();
            foreach (var id in ids) Upsert(RandomLawyer(id));
            for (var i = 0; i < events; i++)
            {
                _where = $"seed {seed} event {i}";
                _now = _now.AddMilliseconds(_rnd.Next(0, 2500));
                Step(ids);
            }
            Assert.True(_offers > events / 10, $"too few offers: {_offers}");
            Assert.True(_assigned > events / 20, $"too few assignments: {_assigned}");
            Assert.True(_restarts > events / 200, $"too few restarts: {_restarts}");
            Assert.True(_reservedSeen > 0, "no phone reservation ever happened");
            Assert.True(_claims > 0, "no claim ever succeeded");
            Assert.True(_strandedByExclusion > 0, "no exclusion was ever lifted for the only lawyer on duty");
        }

        private void Step(string[] ids)
        {
            var waiting = Where(c => c.AssignedTo is null);
            var offered = waiting.Where(c => c.OfferedTo is not null).ToList();
            var active = Where(c => c.AssignedTo is not null);
            var roll = _rnd.NextDouble();
            var arrival = waiting.Count < 40 ? 0.2 : 0.05;
            if (roll < arrival) Enqueue();
            else if (roll < 0.35 && offered.Count > 0)
            {
                var c = Pick(offered);
                Apply(_engine.Accept(c.Id, c.OfferedTo!, _now), () => { });
            }
            else if (roll < 0.42 && offered.Count > 0)
            {
                var c = Pick(offered);
                var lawyer = c.OfferedTo!;
                Apply(_engine.Decline(c.Id, lawyer, _now), () =>
                {
                    c.OfferedTo = null;
                    c.Excluded[lawyer] = _now;
                    if (c.Preferred == lawyer) c.Preferred = null;
                });
            }
            else if (roll < 0.50) Tick();
            else if (roll < 0.62 && active.Count > 0)
            {
                var c = Pick(active);
                Apply(_engine.Release(c.Id, _now, _rnd.Next(10, 600)), () => _cons.Remove(c.Id));
            }
            else if (roll < 0.65 && waiting.Count > 0)
            {
                var c = Pick(waiting);
                Apply(_engine.Remove(c.Id, _now), () => _cons.Remove(c.Id));
            }
            else if (roll < 0.71 && (active.Count > 0 || waiting.Count > 0)) Transfer(active.Count > 0 && _rnd.NextDouble() < 0.85 ? Pick(active) : Pick(waiting), ids);
            else if (roll < 0.82) Upsert(RandomLawyer(Pick(ids)));
            else if (roll < 0.86)
            {
                var l = _lawyers[Pick(ids)];
                if (_rnd.NextDouble() < 0.6) Apply(_engine.LawyerDisconnected(l.Id, _now), () => l.Connected = false);
                else Apply(_engine.LawyerConnected(l.Id, _now), () => l.Connected = true);
            }
            else if (roll < 0.93 && waiting.Count > 0) Claim(Pick(waiting), _lawyers[Pick(ids)]);
            else if (roll < 0.94) Restart();
            else
            {
                _now = _now.AddSeconds(_rnd.Next(1, 30));
                Tick();
            }
        }

        private void Enqueue()
        {
            var id = $"c{_nextId++}";
            var entry = R.Entry(id, Pick(Categories), Pick(Dialects), _rnd.NextDouble() < 0.15 ? Channel.Phone : Channel.Web,
                _rnd.NextDouble() < 0.1 ? 1 : 0, _now);
            entry.EmployerKey = _rnd.NextDouble() < 0.4 ? Pick(Employers) : null;
            Apply(_engine.Enqueue(entry, _now), () => _cons[id] = new Consultation
            {
                Id = id, Category = entry.Category, Dialect = entry.Dialect, Channel = entry.Channel, Priority = entry.Priority,
                QueuedAt = _now, RoutedSince = _now, Order = _order++, Employer = entry.EmployerKey,
            });
        }

        private void Upsert(LawyerInfo info) => Apply(_engine.UpsertLawyer(info, _now), () =>
        {
            if (!_lawyers.TryGetValue(info.LawyerId, out var l)) _lawyers[info.LawyerId] = l = new Lawyer { Id = info.LawyerId };
            l.Skills = [.. info.Skills];
            l.Dialects = [.. info.Dialects];
            l.Conflicts = [.. info.Conflicts ?? []];
            l.Capacity = info.Capacity;
            l.Status = info.Status;
            l.Connected = true;
        });

        private void Transfer(Consultation c, string[] ids)
        {
            // A lawyer transfers to a named colleague or to a category (leaving it), or an admin puts a waiting one back.
            var current = c.AssignedTo ?? c.OfferedTo;
            var preferred = _rnd.NextDouble() < 0.4 ? Pick(ids.Where(l => l != current).ToList()) : null;
            var exclude = preferred is null && current is not null && _rnd.NextDouble() < 0.7 ? current : null;
            var category = _rnd.NextDouble() < 0.4 ? Pick(Categories) : null;
            Apply(_engine.Requeue(c.Id, category, preferred, exclude, _now), () =>
            {
                c.AssignedTo = null;
                c.RoutedSince = _now;
                if (category is not null) c.Category = category;
                c.Preferred = preferred;
                c.PreferredUntil = _now.AddSeconds(PreferenceSeconds);
                if (preferred is not null) c.Excluded.Remove(preferred);
                if (exclude is not null) c.Excluded[exclude] = _now;
            });
        }

        private void Claim(Consultation c, Lawyer l)
        {
            var mine = _engine.GetQueueFor(l.Id, _now).Select(e => e.ConsultationId).ToList();
            var expectedQueue = Where(x => x.AssignedTo is null && l.Capacity > 0 && Fits(x, l, _now) && !Excluded(x, l)).ToList();
            expectedQueue.Sort(Before);
            Assert.True(expectedQueue.Select(x => x.Id).SequenceEqual(mine), $"{_where}: GetQueueFor({l.Id}) differs");
            var ok = c.OfferedTo == l.Id || (l.Capacity > 0 && Fits(c, l, _now) && !Excluded(c, l) && Room(l, c.Channel));
            var before = JsonSerializer.Serialize(_engine.State, Json);
            var result = _engine.Claim(c.Id, l.Id, _now);
            Assert.True(ok == result.Succeeded, $"{_where}: claim of {c.Id} by {l.Id}: expected {ok}, got {result.ErrorCode}");
            if (!ok)
            {
                Assert.Equal(RoutingErrors.Conflict, result.ErrorCode);
                Assert.Equal(before, JsonSerializer.Serialize(_engine.State, Json));
                return;
            }
            _claims++;
            Apply(result, () => { });
            Assert.Equal(l.Id, c.AssignedTo);
        }

        private void Tick()
        {
            var overdue = Where(c => c.OfferedTo is not null && c.OfferExpires <= _now).Select(c => c.Id).ToHashSet();
            var result = _engine.Tick(_now);
            var withdrawn = result.Of<OfferWithdrawn>();
            foreach (var id in overdue)
                Assert.True(withdrawn.Any(w => w.ConsultationId == id), $"{_where}: overdue offer of {id} not withdrawn");
            Assert.All(withdrawn.Where(w => w.Reason == OfferRevokeReason.Timeout), w => Assert.Contains(w.ConsultationId, overdue));
            if (!setAway) Assert.Empty(result.Of<LawyerStatusForced>());
            Apply(result, () => { });
        }

        private void Restart()
        {
            _restarts++;
            var json = JsonSerializer.Serialize(_engine.State, Json);
            _engine = new RoutingEngine(JsonSerializer.Deserialize<RouterState>(json, Json)!, _options);
            Assert.Equal(json, JsonSerializer.Serialize(_engine.State, Json));
            _now = _now.AddSeconds(_rnd.Next(0, 60)); // down for a while
            var overdue = Where(c => c.OfferedTo is not null && c.OfferExpires <= _now).Select(c => c.Id).Order().ToList();
            var result = _engine.Recover(_now);
            // Restarts penalise nobody: exactly the overdue offers are withdrawn, none as a timeout, nobody set away.
            Assert.Equal(overdue, result.Of<OfferWithdrawn>().Select(w => w.ConsultationId).Order().ToList());
            Assert.All(result.Of<OfferWithdrawn>(), w => Assert.Equal(OfferRevokeReason.Cancelled, w.Reason));
            Assert.Empty(result.Of<LawyerStatusForced>());
            Apply(result, () => { });
        }

        /// <summary>Applies a command's own change to the model, then its effects in the engine's order, then checks.</summary>
        private void Apply(RoutingResult result, Action change, bool nested = false)
        {
            Assert.True(result.Succeeded, $"{_where}: {result.ErrorCode} {result.ErrorMessage}");
            change();
            var made = new List<OfferMade>();
            var conflicted = new List<ActiveConsultationConflicted>();
            foreach (var effect in result.Effects)
            {
                switch (effect)
                {
                    case OfferMade o:
                        made.Add(o);
                        break;
                    case OfferWithdrawn w:
                        if (!_cons.TryGetValue(w.ConsultationId, out var c)) break; // removed by this command
                        Assert.Equal(w.LawyerId, c.OfferedTo);
                        c.OfferedTo = null;
                        if (w.Reason != OfferRevokeReason.Timeout) break;
                        c.Excluded[w.LawyerId] = c.OfferExpires;
                        if (c.Preferred == w.LawyerId) c.Preferred = null;
                        break;
                    case ConsultationAssigned a:
                        var x = _cons[a.ConsultationId];
                        Assert.True(x.AssignedTo is null, $"{_where}: {a.ConsultationId} assigned twice");
                        Assert.True(x.OfferedTo is null || x.OfferedTo == a.LawyerId, $"{_where}: {a.ConsultationId} assigned past an offer");
                        x.OfferedTo = null;
                        x.AssignedTo = a.LawyerId;
                        _assigned++;
                        break;
                    case LawyerStatusForced f:
                        _lawyers[f.LawyerId].Status = f.Status;
                        break;
                    case ActiveConsultationConflicted k:
                        conflicted.Add(k);
                        break;
                }
            }
            // Preferences lapse at their deadline, or at once when the named lawyer is offline (kept while an offer to them runs).
            foreach (var c in _cons.Values)
                if (c.Preferred is { } p && c.Waiting && (_now >= c.PreferredUntil || !_lawyers.TryGetValue(p, out var pl)
                        || pl.Status == LawyerStatus.Offline || !pl.Connected || Conflicted(c, pl)))
                    c.Preferred = null;
            CheckOffersMade(made);
            foreach (var o in made)
            {
                var c = _cons[o.ConsultationId];
                c.OfferedTo = o.LawyerId;
                c.OfferExpires = o.ExpiresAt;
                Assert.Equal(_now.AddSeconds(OfferSeconds), o.ExpiresAt);
                _offers++;
            }
            CheckState();
            // The consultation grain sends a consultation that became conflicted back to routing.
            if (nested) return;
            var expected = _cons.Values.Where(c => c.AssignedTo is { } a && Conflicted(c, _lawyers[a])).Select(c => c.Id).Order().ToList();
            Assert.Equal(expected, conflicted.Select(k => k.ConsultationId).Order().ToList());
            foreach (var k in conflicted)
            {
                var c = _cons[k.ConsultationId];
                Apply(_engine.Requeue(c.Id, null, null, null, _now), () =>
                {
                    c.AssignedTo = null;
                    c.RoutedSince = _now;
                    c.Preferred = null;
                }, nested: true);
            }
        }

        /// <summary>Every new offer goes to a lawyer on duty, who fits it, is not excluded and has room; none skips an older waiting item of theirs.</summary>
        private void CheckOffersMade(List<OfferMade> made)
        {
            var taken = new Dictionary<string, (int Count, bool Phone)>();
            foreach (var o in made)
            {
                var c = _cons[o.ConsultationId];
                var l = _lawyers[o.LawyerId];
                Assert.True(c.Waiting, $"{_where}: {c.Id} offered while not waiting");
                Assert.True(OnDuty(l) && Fits(c, l, _now), $"{_where}: {c.Id} offered to {l.Id}, who is not eligible");
                Assert.False(Conflicted(c, l), $"{_where}: {c.Id} offered to {l.Id} despite a conflict of interest");
                Assert.False(Excluded(c, l), $"{_where}: {c.Id} offered to excluded {l.Id}");
                if (c.Excluded.TryGetValue(l.Id, out var since) && (_now - since).TotalSeconds < ExclusionSeconds) _strandedByExclusion++;
                var load = taken.TryGetValue(l.Id, out var t) ? t : Load(l);
                Assert.True(!load.Phone && (c.Channel == Channel.Phone ? load.Count == 0 : load.Count < l.Capacity),
                    $"{_where}: {c.Id} offered to {l.Id} beyond capacity");
                taken[l.Id] = (load.Count + 1, load.Phone || c.Channel == Channel.Phone);
                // Priority then age across channels: nothing older that this lawyer could take is left waiting.
                foreach (var w in _cons.Values)
                    if (w.Waiting && !made.Any(m => m.ConsultationId == w.Id) && Before(w, c) < 0 && Fits(w, l, _now) && !Excluded(w, l))
                        Assert.Fail($"{_where}: {c.Id} offered to {l.Id} while older {w.Id} ({w.Channel}) waits for them");
            }
        }

        private void CheckState()
        {
            var s = _engine.State;
            // Engine and oracle agree on what waits, what is offered to whom and what is active with whom.
            Assert.True(s.Queue.Count == _cons.Values.Count(c => c.AssignedTo is null), $"{_where}: queue size differs");
            foreach (var c in _cons.Values)
            {
                if (c.AssignedTo is { } a)
                {
                    Assert.True(s.Lawyers[a].Active.ContainsKey(c.Id) && s.ActiveEntries.ContainsKey(c.Id), $"{_where}: {c.Id} not active with {a}");
                    continue;
                }
                var e = s.Queue[c.Id];
                Assert.True(e.OfferedTo == c.OfferedTo, $"{_where}: {c.Id} offered to {e.OfferedTo}, oracle says {c.OfferedTo}");
                Assert.True(e.PreferredLawyerId == c.Preferred, $"{_where}: {c.Id} prefers {e.PreferredLawyerId}, oracle says {c.Preferred}");
                // No exclusion is kept past its limit.
                foreach (var since in e.Exclusions.Values)
                    Assert.True((_now - since).TotalSeconds < ExclusionSeconds, $"{_where}: {c.Id} keeps an exclusion from {since}");
            }
            Assert.Equal(_cons.Values.Count(c => c.AssignedTo is not null), s.ActiveEntries.Count);

            var waiting = _cons.Values.Where(c => c.Waiting).ToList();
            waiting.Sort(Before);
            var reserved = 0;
            foreach (var l in _lawyers.Values)
            {
                var (count, phone) = Load(l);
                // No capacity exceeded (a capacity lowered below the active count leaves no offers).
                if (_cons.Values.Any(c => c.OfferedTo == l.Id))
                {
                    Assert.True(count <= l.Capacity, $"{_where}: {l.Id} has {count} of {l.Capacity}");
                    Assert.True(!phone || count == 1, $"{_where}: {l.Id} has a call and more");
                }
                foreach (var c in _cons.Values)
                    if (c.OfferedTo == l.Id)
                    {
                        Assert.False(Conflicted(c, l), $"{_where}: {c.Id} offered to conflicted {l.Id}");
                        Assert.True(OnDuty(l), $"{_where}: {c.Id} offered to {l.Id}, who is not on duty");
                    }
                if (!OnDuty(l)) continue;
                // Liveness, and priority then age across channels: the oldest waiting consultation this lawyer is eligible
                // for does not fit them (a call needs them free), or it would have been offered in this step.
                var head = waiting.FirstOrDefault(c => Fits(c, l, _now) && !Excluded(c, l));
                if (head is null) continue;
                Assert.False(Room(l, head.Channel), $"{_where}: {head.Id} ({head.Channel}) waits while {l.Id} is free for it");
                if (head.Channel == Channel.Phone && Room(l, Channel.Web)) reserved++;
            }
            Assert.True(reserved == _engine.ReservedLawyers.Count, $"{_where}: {reserved} reserved, engine says {_engine.ReservedLawyers.Count}");
            if (reserved > 0) _reservedSeen++;
        }
    }
}
