using Hotline.Abstractions;

namespace Hotline.Storage.Tests;

/// <summary>The retention index (<see cref="SqlRetentionIndex"/>), on SQLite and PostgreSQL alike.</summary>
public abstract partial class StorageContractTests
{
    [Fact]
    public async Task The_retention_index_lists_each_record_once_per_day_and_kind_and_clears_one_day()
    {
        var index = new SqlRetentionIndex(Database);
        var (day, next) = ("retention-2026-11-30", "retention-2026-12-01");
        await index.AddAsync(day, RetentionRecordKind.Consultation, "c-1");
        await index.AddAsync(day, RetentionRecordKind.Consultation, "c-2");
        await index.AddAsync(day, RetentionRecordKind.Consultation, "c-1"); // again: a retried addition changes nothing
        await index.AddAsync(day, RetentionRecordKind.Worker, "w-1");
        await index.AddAsync(day, RetentionRecordKind.Worker, "c-1"); // the same id as another kind is another row
        await index.AddAsync(next, RetentionRecordKind.Consultation, "c-3");

        Assert.Equal(["c-1", "c-2"], (await index.ListAsync(day, RetentionRecordKind.Consultation)).Order(StringComparer.Ordinal));
        Assert.Equal(["c-1", "w-1"], (await index.ListAsync(day, RetentionRecordKind.Worker)).Order(StringComparer.Ordinal));
        Assert.Equal(["c-3"], await index.ListAsync(next, RetentionRecordKind.Consultation));
        Assert.Empty(await index.ListAsync("retention-2026-11-29", RetentionRecordKind.Consultation));

        await index.ClearAsync(day);
        Assert.Empty(await index.ListAsync(day, RetentionRecordKind.Consultation));
        Assert.Empty(await index.ListAsync(day, RetentionRecordKind.Worker));
        Assert.Equal(["c-3"], await index.ListAsync(next, RetentionRecordKind.Consultation));
        await index.ClearAsync(day); // an empty day clears quietly
    }
}
