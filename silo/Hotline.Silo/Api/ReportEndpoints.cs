using System.Globalization;
using Hotline.Abstractions;
using Hotline.Domain;
using Hotline.Silo.Security;

namespace Hotline.Silo.Api;

/// <summary>
/// <c>GET /api/admin/reports/range?from=yyyy-MM-dd&amp;to=yyyy-MM-dd</c> (admin): the date-range report in
/// <c>Hotline:TimeZone</c> — total, days, every hour (the history chart), hours of the day, categories and regions.
/// Defaults: the last 7 local days up to today.
/// </summary>
public static class ReportEndpoints
{
    public static void MapReportEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/admin/reports/range", async (string? from, string? to, IGrainFactory grains, GrainCalls calls, DutyService duty, TimeProvider time) =>
        {
            var zone = HotlineCalendar.Zone(duty.TimeZoneId);
            var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(time.GetUtcNow(), zone).DateTime);
            var last = Day(to, "to") ?? today;
            var first = Day(from, "from") ?? last.AddDays(-6);
            if (last < first) throw Validation.Failed("to is before from");
            if (last.DayNumber - first.DayNumber + 1 > StatisticsRange.MaxDays) throw Validation.Failed($"a report covers at most {StatisticsRange.MaxDays} days");
            return await calls.Run(() => grains.GetGrain<IStatisticsGrain>(GrainKeys.Hotline).GetRangeReport(first, last));
        }).RequireAuthorization(Roles.Admin).RequireRateLimiting(ApiExtensions.RestPolicy).WithTags("admin");
    }

    private static DateOnly? Day(string? value, string field)
    {
        if (string.IsNullOrEmpty(value)) return null;
        // The years the other date filters accept (Validation.Period): a day at either end of the calendar has no week
        // before it or no day after it, and the report's arithmetic would fail as a server error.
        return DateOnly.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day) && day.Year is >= 2000 and <= 2999
            ? day : throw Validation.Failed($"{field} must be a date yyyy-MM-dd between the years 2000 and 2999");
    }
}
