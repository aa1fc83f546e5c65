using Hotline.Abstractions;

namespace Hotline.Storage;

/// <summary>
/// <see cref="IOpenConsultationStore"/> on <c>grain_state</c>: the consultation rows whose JSON payload holds an unfinished
/// status. A scan of every consultation row (no status column to index), which is why the reconciliation runs it rarely;
/// a text that merely contains the pattern is escaped in JSON (<c>\"</c>), so it cannot match, and the consultation
/// grain checks its real state anyway.
/// </summary>
public sealed class SqlOpenConsultationStore(HotlineDatabase database) : IOpenConsultationStore
{
    /// <summary>The grain type and state name the consultation grain stores under.</summary>
    private const string GrainType = "consultation";

    /// <inheritdoc />
    public Task<IReadOnlyList<string>> ListOpenAsync(CancellationToken cancellationToken = default) =>
        database.RunAsync<IReadOnlyList<string>>(async (connection, ct) =>
        {
            await using var read = connection.Command(
                """
                SELECT grain_id FROM grain_state
                WHERE grain_type = @t AND state_name = @t
                  AND (payload LIKE '%"Status":"Queued"%' OR payload LIKE '%"Status":"Offered"%' OR payload LIKE '%"Status":"Active"%')
                """);
            read.AddParameter("t", GrainType);
            await using var reader = await read.ExecuteReaderAsync(ct);
            var ids = new List<string>();
            while (await reader.ReadAsync(ct)) ids.Add(reader.GetString(0));
            return ids;
        }, write: false, cancellationToken);
}
