using Orleans.Serialization;

namespace Hotline.Storage.Tests;

/// <summary>
/// A storage outage in the silo that hosts a grain reaches the caller's silo as <see cref="StorageUnavailableException"/>
/// (so the API answers <c>unavailable</c> by type), not as a <c>CodecNotFoundException</c> for the driver's exception.
/// The failure is a real one: PostgreSQL on a port nobody listens on, through the real retry pipeline.
/// </summary>
public sealed class StorageUnavailableSerializationTests
{
    private static readonly Serializer Orleans = new ServiceCollection()
        .AddSerializer(b => b.AddAssembly(typeof(StorageUnavailableException).Assembly))
        .BuildServiceProvider().GetRequiredService<Serializer>();

    [Fact]
    public async Task A_real_postgres_outage_crosses_the_orleans_wire_as_storage_unavailable_with_its_cause()
    {
        var options = HotlineStorageOptions.ForPostgres($"Host=127.0.0.1;Port={Infra.FreePort()};Username=nobody;Database=none;Timeout=1");
        options.RetryBudget = TimeSpan.FromSeconds(1);
        await using var database = new HotlineDatabase(options);
        var failure = await Assert.ThrowsAsync<StorageUnavailableException>(() => new SqlMessageStore(database).GetLastSeqAsync("c-1"));

        var arrived = Orleans.Deserialize<Exception>(Orleans.SerializeToArray<Exception>(failure));

        var carried = Assert.IsType<StorageUnavailableException>(arrived);
        Assert.Equal(failure.Message, carried.Message);
        var cause = Assert.IsType<StorageFailureCause>(carried.InnerException);
        // The budget ran out (Polly's TimeoutRejectedException) or the retries did (NpgsqlException): named either way.
        Assert.Matches("^(Polly|Npgsql)\\.", cause.CauseType);
        Assert.StartsWith(cause.CauseType + ": ", cause.Message, StringComparison.Ordinal);
        Assert.NotNull(cause.StackTrace);
        Assert.Contains(cause.CauseType, carried.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void The_driver_exception_itself_has_no_codec_which_is_why_its_cause_is_converted()
    {
        var npgsql = new Npgsql.NpgsqlException("Failed to connect", new System.Net.Sockets.SocketException(111));
        Assert.Throws<CodecNotFoundException>(() => Orleans.SerializeToArray<Exception>(npgsql));

        var arrived = Orleans.Deserialize<Exception>(Orleans.SerializeToArray<Exception>(new StorageUnavailableException("PostgreSQL is unavailable", npgsql)));

        var cause = Assert.IsType<StorageFailureCause>(Assert.IsType<StorageUnavailableException>(arrived).InnerException);
        Assert.Equal("Npgsql.NpgsqlException", cause.CauseType);
        Assert.Equal("Npgsql.NpgsqlException: Failed to connect", cause.Message);
        Assert.Equal("System.Net.Sockets.SocketException", Assert.IsType<StorageFailureCause>(cause.InnerException).CauseType);
    }

    [Fact]
    public void A_router_journal_conflict_crosses_the_orleans_wire_as_itself()
    {
        var serializer = new ServiceCollection()
            .AddSerializer(b => b.AddAssembly(typeof(RouterJournalConflictException).Assembly))
            .BuildServiceProvider().GetRequiredService<Serializer>();
        var arrived = serializer.Deserialize<Exception>(serializer.SerializeToArray<Exception>(new RouterJournalConflictException("hotline", 42)));

        var conflict = Assert.IsType<RouterJournalConflictException>(arrived);
        Assert.Equal(("hotline", 42L), (conflict.RouterId, conflict.Seq));
        Assert.Contains("batch 42", conflict.Message, StringComparison.Ordinal);
    }
}
