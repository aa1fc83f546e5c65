using System.Diagnostics.Metrics;

namespace Hotline.Grains;

/// <summary>
/// The hotline's own meter (<c>Hotline</c>): counters of routing and messaging events, recorded where they happen;
/// the silo adds gauges of the live load. Tags carry categories, reasons and roles only, never a person.
/// </summary>
public static class HotlineMeter
{
    public const string Name = "Hotline";

    public static readonly Meter Meter = new(Name, "1.0");

    /// <summary>Offers made to lawyers.</summary>
    public static readonly Counter<long> Offers = Meter.CreateCounter<long>("hotline.offers", "{offer}", "Offers made to lawyers");

    /// <summary>Offers withdrawn, by reason (timeout: the lawyer did not answer in time).</summary>
    public static readonly Counter<long> OffersWithdrawn = Meter.CreateCounter<long>("hotline.offers.withdrawn", "{offer}", "Offers withdrawn, by reason (timeout, taken, cancelled)");

    /// <summary>Consultations assigned to a lawyer.</summary>
    public static readonly Counter<long> Assignments = Meter.CreateCounter<long>("hotline.assignments", "{consultation}", "Consultations assigned to a lawyer");

    /// <summary>Chat messages stored (acknowledged), by sender role: a rate of it is messages per second.</summary>
    public static readonly Counter<long> Messages = Meter.CreateCounter<long>("hotline.messages", "{message}", "Chat messages stored, by sender role");

    /// <summary>Consultations a worker's erase could not erase on its attempt (its reminder retries them): above 0, look.</summary>
    public static readonly Counter<long> EraseFailures = Meter.CreateCounter<long>("hotline.erase.failures", "{consultation}", "Consultation erases that failed and wait for a retry");

    /// <summary>Consultations and worker records a retention run could not purge (the next run retries their day): above 0, look.</summary>
    public static readonly Counter<long> RetentionFailures = Meter.CreateCounter<long>("hotline.retention.failures", "{record}", "Retention purges (and purge audit entries) that failed and wait for the next run");
}
