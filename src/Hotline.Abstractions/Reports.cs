namespace Hotline.Abstractions;

/// <summary>
/// Figures of one row of the date-range report (<c>GET /api/admin/reports/range</c>): a day, an hour, an hour of the
/// day, a category or a region. Region rows count arrivals, answers and abandons only (closes and ratings are per category).
/// </summary>
[GenerateSerializer, Alias("Hotline.ReportFigures")]
public sealed record ReportFigures
{
    /// <summary>The row: <c>2026-11-28</c> (day), <c>2026-11-28T14:00:00+08:00</c> (hour), <c>14</c> (hour of day), a category or region id; <c>*</c> for the total.</summary>
    [Id(0)] public required string Key { get; init; }
    [Id(1)] public int Arrived { get; init; }
    [Id(2)] public int Answered { get; init; }
    [Id(3)] public int Abandoned { get; init; }
    [Id(4)] public int Closed { get; init; }
    /// <summary>Mean wait of the answered ones (seconds).</summary>
    [Id(5)] public double AverageWaitSeconds { get; init; }
    /// <summary>Answered within 20 s, 0..1 (1 when none answered).</summary>
    [Id(6)] public double ServiceLevel { get; init; }
    /// <summary>Mean handle time of the closed ones (null when none closed).</summary>
    [Id(7)] public double? AverageHandleSeconds { get; init; }
    [Id(8)] public int Rated { get; init; }
    /// <summary>Mean rating 1..5 (null when none rated).</summary>
    [Id(9)] public double? Satisfaction { get; init; }
}

/// <summary>The admin's date-range report: local days of <c>Hotline:TimeZone</c>, both ends included.</summary>
[GenerateSerializer, Alias("Hotline.RangeReport")]
public sealed record RangeReport
{
    /// <summary>First local day (<c>yyyy-MM-dd</c>).</summary>
    [Id(0)] public required string From { get; init; }
    /// <summary>Last local day (<c>yyyy-MM-dd</c>), included.</summary>
    [Id(1)] public required string To { get; init; }
    /// <summary>The zone of the days and hours.</summary>
    [Id(2)] public required string Timezone { get; init; }
    /// <summary>How many days of hourly history the statistics keep: older days of the range show zeros.</summary>
    [Id(3)] public int RetentionDays { get; init; }
    [Id(4)] public required ReportFigures Total { get; init; }
    [Id(5)] public IReadOnlyList<ReportFigures> Days { get; init; } = [];
    /// <summary>Every local hour of the range, empty ones included (the history chart).</summary>
    [Id(6)] public IReadOnlyList<ReportFigures> Hours { get; init; } = [];
    /// <summary>The 24 hours of the day (0..23), summed over the range.</summary>
    [Id(7)] public IReadOnlyList<ReportFigures> HourOfDay { get; init; } = [];
    [Id(8)] public IReadOnlyList<ReportFigures> Categories { get; init; } = [];
    [Id(9)] public IReadOnlyList<ReportFigures> Regions { get; init; } = [];
}
