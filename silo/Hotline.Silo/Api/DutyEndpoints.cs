using Hotline.Abstractions;
using Hotline.Domain;

namespace Hotline.Silo.Api;

/// <summary><c>GET /api/duty</c> answer.</summary>
public sealed record DutyView(bool OnDutyNow, int LawyersOnline, DateTimeOffset? NextShiftStartsAt, string Timezone);

/// <summary>The duty roster of <c>seeds/duty.json</c> in <c>Hotline:TimeZone</c>.</summary>
public sealed class DutyService
{
    public DutyService(SeedFiles seeds, IConfiguration configuration)
    {
        TimeZoneId = configuration["Hotline:TimeZone"] ?? HotlineCalendar.DefaultTimeZone;
        Roster = new DutyRoster(seeds.Duty.Select(Parse).ToList(), HotlineCalendar.Zone(TimeZoneId));
    }

    public string TimeZoneId { get; }
    public DutyRoster Roster { get; }

    private static DutyShift Parse(DutyShiftSeed s) => new(
        s.Days.Select(d => Enum.TryParse<DayOfWeek>(d, ignoreCase: true, out var day) ? day : throw new InvalidDataException($"seeds/duty.json: unknown day '{d}'")).ToList(),
        TimeOnly.ParseExact(s.From, "HH:mm"),
        TimeOnly.ParseExact(s.To, "HH:mm"));
}

/// <summary>Around the clock: whether lawyers are on duty now, how many are online, when the next shift starts.</summary>
public static class DutyEndpoints
{
    public static void MapDutyEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/duty", async (DutyService duty, IGrainFactory grains, GrainCalls calls, TimeProvider time) =>
        {
            var now = time.GetUtcNow();
            var load = await calls.Run(() => grains.GetGrain<IRouterGrain>(GrainKeys.Hotline).GetLoad());
            var onDuty = duty.Roster.IsOnDuty(now);
            return new DutyView(onDuty, load.Lawyers.Available + load.Lawyers.Busy, onDuty ? null : duty.Roster.NextShiftStart(now), duty.TimeZoneId);
        }).RequireRateLimiting(ApiExtensions.RestPolicy).WithTags("duty");
    }
}
