namespace Hotline.Abstractions;

/// <summary>Live load of one category (<c>MetricsSnapshot.queues[]</c>), plus the issue-6 extras.</summary>
[GenerateSerializer, Alias("Hotline.QueueMetrics")]
public sealed record QueueMetrics
{
    [Id(0)] public required string Category { get; init; }
    [Id(1)] public int Waiting { get; init; }
    [Id(2)] public double OldestWaitSeconds { get; init; }
    /// <summary>ASA: mean wait of answered consultations (today).</summary>
    [Id(3)] public double AverageWaitSeconds { get; init; }
    /// <summary>SL(20 s) of answered consultations today, 0..1 (1 when none answered).</summary>
    [Id(4)] public double ServiceLevel { get; init; }
    [Id(5)] public int Abandoned { get; init; }
    [Id(6)] public int Answered { get; init; }
    [Id(7)] public double ServiceLevel60 { get; init; }
    [Id(8)] public double AverageHandleSeconds { get; init; }
    [Id(9)] public int Offered { get; init; }
    [Id(10)] public int Active { get; init; }
    /// <summary>Arrivals per hour over the last 15 minutes.</summary>
    [Id(11)] public double ArrivalsPerHour { get; init; }
    /// <summary>Erlang C staffing advice: lawyers needed for 80 % within 20 s at the current rate and AHT.</summary>
    [Id(12)] public int LawyersNeeded { get; init; }
    /// <summary>Consultations rated today.</summary>
    [Id(30)] public int Rated { get; init; }
    /// <summary>Mean rating (1..5) of today's rated consultations; null when none rated.</summary>
    [Id(31)] public double? Satisfaction { get; init; }
}

/// <summary>Lawyers by state.</summary>
[GenerateSerializer, Alias("Hotline.LawyerCounts")]
public sealed record LawyerCounts
{
    [Id(0)] public int Online { get; init; }
    [Id(1)] public int Available { get; init; }
    [Id(2)] public int Busy { get; init; }
    [Id(3)] public int Away { get; init; }
    /// <summary>Busy capacity / online capacity.</summary>
    [Id(4)] public double Occupancy { get; init; }
    /// <summary>Lawyers held free for a waiting phone call: they get no new chats until the call can be offered.</summary>
    [Id(5)] public int Reserved { get; init; }
}

/// <summary>Consultations by state.</summary>
[GenerateSerializer, Alias("Hotline.ConsultationCounts")]
public sealed record ConsultationCounts
{
    [Id(0)] public int Queued { get; init; }
    [Id(1)] public int Offered { get; init; }
    [Id(2)] public int Active { get; init; }
    [Id(3)] public int ClosedToday { get; init; }
}

/// <summary><c>MetricsSnapshot</c>: the hotline's load across the whole cluster.</summary>
[GenerateSerializer, Alias("Hotline.MetricsSnapshot")]
public sealed record MetricsSnapshot
{
    [Id(0)] public DateTimeOffset At { get; init; }
    [Id(1)] public IReadOnlyList<QueueMetrics> Queues { get; init; } = [];
    [Id(2)] public LawyerCounts Lawyers { get; init; } = new();
    [Id(3)] public ConsultationCounts Consultations { get; init; } = new();
    [Id(4)] public int Silos { get; init; }
    /// <summary>Per region (Union intelligence, issue 12): consultations that named a region, live and today.</summary>
    [Id(40)] public IReadOnlyList<RegionMetrics> Regions { get; init; } = [];
}

/// <summary>
/// One region of <c>MetricsSnapshot.regions[]</c>: live waiting from the router, today's counts from the statistics. Only
/// consultations whose worker named a region count (the field is optional at intake).
/// </summary>
[GenerateSerializer, Alias("Hotline.RegionMetrics")]
public sealed record RegionMetrics
{
    /// <summary>Region catalog id (<c>/api/catalog</c> <c>regions</c>).</summary>
    [Id(0)] public required string Region { get; init; }
    /// <summary>Queued now and not offered.</summary>
    [Id(1)] public int Waiting { get; init; }
    /// <summary>Offered now, not yet accepted.</summary>
    [Id(2)] public int Offered { get; init; }
    /// <summary>Longest current wait of the region's queued consultations.</summary>
    [Id(3)] public double OldestWaitSeconds { get; init; }
    /// <summary>Arrived today.</summary>
    [Id(4)] public int Arrived { get; init; }
    /// <summary>Answered (accepted by a lawyer) today.</summary>
    [Id(5)] public int Answered { get; init; }
    /// <summary>Abandoned today.</summary>
    [Id(6)] public int Abandoned { get; init; }
    /// <summary>Mean wait of today's answered ones.</summary>
    [Id(7)] public double AverageWaitSeconds { get; init; }
    /// <summary>SL(20 s) of today's answered ones, 0..1 (1 when none answered).</summary>
    [Id(8)] public double ServiceLevel { get; init; }
}

/// <summary>One hour of history for one category (<c>/api/admin/reports/hourly</c>).</summary>
[GenerateSerializer, Alias("Hotline.HourlyReportRow")]
public sealed record HourlyReportRow
{
    [Id(0)] public DateTimeOffset Hour { get; init; }
    [Id(1)] public required string Category { get; init; }
    [Id(2)] public int Arrived { get; init; }
    [Id(3)] public int Answered { get; init; }
    [Id(4)] public int Abandoned { get; init; }
    [Id(5)] public double AverageWaitSeconds { get; init; }
    [Id(6)] public double ServiceLevel20 { get; init; }
    [Id(7)] public double ServiceLevel60 { get; init; }
    [Id(8)] public double AverageHandleSeconds { get; init; }
    [Id(30)] public int Rated { get; init; }
    [Id(31)] public double? Satisfaction { get; init; }
}
