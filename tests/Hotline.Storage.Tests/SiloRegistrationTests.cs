using Microsoft.Extensions.Hosting;
using Orleans.Providers;

namespace Hotline.Storage.Tests;

public interface IStoredCounterGrain : IGrainWithStringKey
{
    Task<int> Increment();
    Task<int> Get();
    Task Deactivate();
}

/// <summary>A grain with default-named persistent state, and one on the named "hotline" provider.</summary>
public sealed class StoredCounterGrain(
    [PersistentState("counter")] IPersistentState<SampleState> counter,
    [PersistentState("named", HotlineStorageOptions.ProviderName)] IPersistentState<SampleState> named) : Grain, IStoredCounterGrain
{
    public async Task<int> Increment()
    {
        counter.State.Counters["n"] = counter.State.Counters.GetValueOrDefault("n") + 1;
        named.State.Name = $"n={counter.State.Counters["n"]}";
        await counter.WriteStateAsync();
        await named.WriteStateAsync();
        return counter.State.Counters["n"];
    }

    public Task<int> Get() => Task.FromResult(counter.State.Counters.GetValueOrDefault("n"));

    public Task Deactivate()
    {
        DeactivateOnIdle();
        return Task.CompletedTask;
    }
}

public sealed class SiloRegistrationTests : IAsyncLifetime
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "hotline-silo-" + Guid.NewGuid().ToString("N")[..12]);
    private IHost _host = null!;

    public async Task InitializeAsync()
    {
        _host = Host.CreateDefaultBuilder()
            .UseOrleans(silo => silo
                .UseLocalhostClustering(siloPort: Infra.FreePort(), gatewayPort: Infra.FreePort())
                .AddHotlineStorage(HotlineStorageOptions.ForSqlite(_root)))
            .Build();
        await _host.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task Silo_start_migrates_and_grains_persist_through_the_hotline_storage()
    {
        var services = _host.Services;
        var storage = services.GetRequiredService<HotlineGrainStorage>();
        Assert.Same(storage, services.GetRequiredKeyedService<IGrainStorage>(ProviderConstants.DEFAULT_STORAGE_PROVIDER_NAME));
        Assert.Same(storage, services.GetRequiredKeyedService<IGrainStorage>(HotlineStorageOptions.ProviderName));
        Assert.IsType<SqlMessageStore>(services.GetRequiredService<IMessageStore>());

        // migrated during silo start, before any storage call.
        var database = services.GetRequiredService<HotlineDatabase>();
        await using (var connection = await database.OpenConnectionAsync())
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = "SELECT MAX(version) FROM schema_version";
            Assert.Equal((long)HotlineDatabase.LatestSchemaVersion, await command.ExecuteScalarAsync());
        }

        var grain = services.GetRequiredService<IGrainFactory>().GetGrain<IStoredCounterGrain>("one");
        Assert.Equal(1, await grain.Increment());
        Assert.Equal(2, await grain.Increment());
        await grain.Deactivate();
        await Task.Delay(200);
        Assert.Equal(2, await grain.Get());

        await using var check = await database.OpenConnectionAsync();
        await using var rows = check.CreateCommand();
        rows.CommandText = "SELECT state_name, payload FROM grain_state ORDER BY state_name";
        await using var reader = await rows.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal("counter", reader.GetString(0));
        Assert.True(await reader.ReadAsync());
        Assert.Equal("named", reader.GetString(0));
        Assert.Contains("n=2", reader.GetString(1));
    }
}
