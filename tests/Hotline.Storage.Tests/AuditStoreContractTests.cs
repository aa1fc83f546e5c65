using Hotline.Abstractions;

namespace Hotline.Storage.Tests;

/// <summary>The audit store (<see cref="SqlAuditStore"/>), on SQLite and PostgreSQL alike.</summary>
public abstract partial class StorageContractTests
{
    [Fact]
    public async Task The_audit_store_lists_a_days_entries_in_time_order_whole_and_by_consultation()
    {
        var store = new SqlAuditStore(Database);
        var at = new DateTimeOffset(2026, 11, 30, 8, 0, 0, TimeSpan.FromHours(8)).AddTicks(1234567);
        AuditEntry Entry(int seconds, string action, string? consultation, string? reason) => new()
        {
            At = at.AddSeconds(seconds), ActorId = "admin-1", ActorRole = "admin", Action = action, ConsultationId = consultation, Reason = reason,
        };
        // Stored out of time order, with and without a consultation and a reason.
        await store.AppendAsync("audit-2026-11-30", Entry(20, AuditActions.ReadNotes, "c-1", null));
        await store.AppendAsync("audit-2026-11-30", Entry(10, AuditActions.ReadTranscript, "c-1", "complaint 7"));
        await store.AppendAsync("audit-2026-11-30", Entry(15, AuditActions.LoginFailed, null, null));
        await store.AppendAsync("audit-2026-11-30", Entry(15, AuditActions.LoginFailed, null, null)); // stored again (a retry): one entry
        await store.AppendAsync("audit-2026-11-30", Entry(15, AuditActions.LoginFailed, null, "another")); // the same instant, another entry
        await store.AppendAsync("audit-2026-12-01", Entry(86_400, AuditActions.Purge, "c-2", "retention 180 days"));

        var day = await store.ListAsync("audit-2026-11-30", null);
        Assert.Equal([AuditActions.ReadTranscript, AuditActions.LoginFailed, AuditActions.LoginFailed, AuditActions.ReadNotes], day.Select(e => e.Action));
        Assert.Equal([null, "another"], day.Where(e => e.Action == AuditActions.LoginFailed).Select(e => e.Reason).Order());
        var first = day[0];
        Assert.Equal(at.AddSeconds(10).UtcDateTime, first.At.UtcDateTime, TimeSpan.FromTicks(10)); // microseconds kept
        Assert.Equal(("admin-1", "admin", "c-1", "complaint 7"), (first.ActorId, first.ActorRole, first.ConsultationId, first.Reason));
        Assert.Null(day[1].ConsultationId);

        Assert.Equal([AuditActions.ReadTranscript, AuditActions.ReadNotes], (await store.ListAsync("audit-2026-11-30", "c-1")).Select(e => e.Action));
        Assert.Empty(await store.ListAsync("audit-2026-11-30", "c-2"));
        Assert.Equal([AuditActions.Purge], (await store.ListAsync("audit-2026-12-01", null)).Select(e => e.Action));
        Assert.Empty(await store.ListAsync("audit-2026-11-29", null));
    }
}
