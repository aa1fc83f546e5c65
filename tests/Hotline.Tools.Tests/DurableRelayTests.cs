using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Data.Sqlite;

namespace Hotline.Tools.Tests;

/// <summary>
/// The durable relay (tools/Hotline.Relay with <c>RELAY_STORE</c>) is the storage floor the platform's message latency
/// is compared with (LoadGen <c>--relay-store</c>): it must really store each message before it forwards and acknowledges it.
/// </summary>
public sealed class DurableRelayTests() : ScratchTest("hotline-relay-test-")
{
    [Fact]
    public async Task Every_acknowledged_message_is_in_the_store_and_was_forwarded()
    {
        var db = Path.Combine(Folder, "relay.db");
        var relay = Track(SiloProcess.Launch("relay", new Dictionary<string, string> { ["RELAY_STORE"] = db, ["ASPNETCORE_ENVIRONMENT"] = "Production" },
            dll: Infra.ToolDll("Hotline.Relay")));
        await relay.WaitReadyAsync(TimeSpan.FromSeconds(60));
        var receiver = Track(Hubs.Raw(relay.Url, "/hubs/relay", "none"));
        var sender = Track(Hubs.Raw(relay.Url, "/hubs/relay", "none"));
        var received = new List<string>();
        var all = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        receiver.On<JsonElement>("Message", m =>
        {
            lock (received)
            {
                received.Add(m.GetProperty("clientMessageId").GetString()!);
                if (received.Count == 20) all.TrySetResult();
            }
        });
        await receiver.StartAsync();
        await sender.StartAsync();
        await receiver.InvokeAsync("Register", "lawyer-1");

        var ids = Enumerable.Range(1, 20).Select(i => $"m{i}").ToArray();
        var acks = await Task.WhenAll(ids.Select(id => sender.InvokeAsync<JsonElement>("Send", "lawyer-1", id, "欠薪 " + id)));
        await all.Task.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(20, acks.Select(a => a.GetProperty("seq").GetInt64()).Distinct().Count());
        lock (received) Assert.Equal(ids.Order(), received.Order());
        await using var store = new SqliteConnection($"Data Source={db};Mode=ReadOnly;Pooling=false");
        await store.OpenAsync();
        await using var read = store.CreateCommand();
        read.CommandText = "SELECT client_id, text FROM messages ORDER BY client_id";
        var rows = new List<(string Id, string Text)>();
        await using (var reader = await read.ExecuteReaderAsync())
            while (await reader.ReadAsync()) rows.Add((reader.GetString(0), reader.GetString(1)));
        Assert.Equal(ids.Order(), rows.Select(r => r.Id));
        Assert.All(rows, r => Assert.Equal("欠薪 " + r.Id, r.Text));
    }
}
