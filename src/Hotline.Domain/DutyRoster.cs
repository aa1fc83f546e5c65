namespace Hotline.Domain;

/// <summary>One weekly shift of the duty roster, in the hotline's time zone.</summary>
/// <param name="Days">Days of the week it runs.</param>
/// <param name="From">Local start time.</param>
/// <param name="To">Local end time; a shift ending at or before its start runs past midnight.</param>
public sealed record DutyShift(IReadOnlyList<DayOfWeek> Days, TimeOnly From, TimeOnly To);

/// <summary>
/// The weekly duty roster (<c>seeds/duty.json</c>) in the hotline's time zone: whether a shift is running at a given
/// instant and when the next one starts. Pure: the caller gives the instant and the zone.
/// </summary>
public sealed class DutyRoster(IReadOnlyList<DutyShift> shifts, TimeZoneInfo zone)
{
    public IReadOnlyList<DutyShift> Shifts { get; } = shifts;
    public TimeZoneInfo Zone { get; } = zone;

    /// <summary>Whether a shift is running at <paramref name="now"/>.</summary>
    public bool IsOnDuty(DateTimeOffset now)
    {
        var local = TimeZoneInfo.ConvertTime(now, Zone).DateTime;
        // A shift that started yesterday may still run (past midnight).
        foreach (var (start, end) in Occurrences(DateOnly.FromDateTime(local).AddDays(-1), 2))
            if (start <= local && local < end) return true;
        return false;
    }

    /// <summary>The start of the next shift strictly after <paramref name="now"/> (UTC), or null for an empty roster.</summary>
    public DateTimeOffset? NextShiftStart(DateTimeOffset now)
    {
        var local = TimeZoneInfo.ConvertTime(now, Zone).DateTime;
        DateTime? best = null;
        foreach (var (start, _) in Occurrences(DateOnly.FromDateTime(local), 8))
            if (start > local && (best is null || start < best)) best = start;
        return best is { } b ? HotlineCalendar.LocalToUtc(b, Zone) : null;
    }

    private IEnumerable<(DateTime Start, DateTime End)> Occurrences(DateOnly firstDay, int days)
    {
        for (var d = 0; d < days; d++)
        {
            var day = firstDay.AddDays(d);
            foreach (var s in Shifts)
            {
                if (!s.Days.Contains(day.DayOfWeek)) continue;
                var start = day.ToDateTime(s.From);
                var end = s.To > s.From ? day.ToDateTime(s.To) : day.AddDays(1).ToDateTime(s.To);
                yield return (start, end);
            }
        }
    }

}

/// <summary>The hotline's calendar: the local day and hour (in <c>Hotline:TimeZone</c>) of an instant, as UTC instants.</summary>
public static class HotlineCalendar
{
    /// <summary>The default zone: Beijing time (the 12351 hotline is in China).</summary>
    public const string DefaultTimeZone = "Asia/Shanghai";

    /// <summary>The zone with this IANA (or Windows) id; the default zone when empty.</summary>
    public static TimeZoneInfo Zone(string? id) => TimeZoneInfo.FindSystemTimeZoneById(string.IsNullOrWhiteSpace(id) ? DefaultTimeZone : id);

    /// <summary>Local midnight of the day containing <paramref name="t"/>, as a UTC instant.</summary>
    public static DateTimeOffset DayStart(DateTimeOffset t, TimeZoneInfo zone)
    {
        var local = TimeZoneInfo.ConvertTime(t, zone);
        return LocalToUtc(local.Date, zone);
    }

    /// <summary>Start of the local hour containing <paramref name="t"/>, as a UTC instant (zones with half-hour offsets included).</summary>
    public static DateTimeOffset HourStart(DateTimeOffset t, TimeZoneInfo zone)
    {
        var local = TimeZoneInfo.ConvertTime(t, zone);
        var hour = new DateTimeOffset(local.Year, local.Month, local.Day, local.Hour, 0, 0, local.Offset);
        return hour.ToUniversalTime();
    }

    /// <summary>A local wall-clock time as a UTC instant; a time skipped by a daylight-saving jump moves to the first valid one after it.</summary>
    public static DateTimeOffset LocalToUtc(DateTime local, TimeZoneInfo zone)
    {
        var unspecified = DateTime.SpecifyKind(local, DateTimeKind.Unspecified);
        while (zone.IsInvalidTime(unspecified)) unspecified = unspecified.AddMinutes(15);
        return new DateTimeOffset(TimeZoneInfo.ConvertTimeToUtc(unspecified, zone), TimeSpan.Zero);
    }
}
