using System.Threading.Channels;
using Microsoft.Data.Sqlite;

/// <summary>
/// The storage floor for the benchmarks: every relayed message appended to a SQLite table before it is forwarded and
/// acknowledged, with the platform's durability settings (WAL, <c>synchronous=FULL</c>: each commit fsyncs) and a group
/// commit (one writer; every message waiting when a commit starts joins it). It stores what a message must have and
/// nothing else: no grains, no auth, no seq per consultation, no duplicate check.
/// </summary>
public sealed class DurableLog : IAsyncDisposable
{
    private readonly Channel<(RelayMessage Message, TaskCompletionSource Done)> _pending =
        Channel.CreateUnbounded<(RelayMessage, TaskCompletionSource)>(new UnboundedChannelOptions { SingleReader = true });
    private readonly SqliteConnection _connection;
    private readonly Task _writer;

    /// <summary>Opens (or creates) the database at <paramref name="path"/> and starts the writer.</summary>
    public DurableLog(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        _connection = new SqliteConnection($"Data Source={path};Pooling=false");
        _connection.Open();
        // The platform's writer checkpoints at 10,000 WAL pages (HotlineStorageOptions.SqliteAutoCheckpointPages).
        Execute("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA wal_autocheckpoint = 10000;");
        Execute("CREATE TABLE IF NOT EXISTS messages (id INTEGER PRIMARY KEY, seq INTEGER NOT NULL, conversation TEXT NOT NULL, sender TEXT NOT NULL, client_id TEXT NOT NULL, text TEXT NOT NULL, sent_at TEXT NOT NULL)");
        _writer = Task.Run(WriteLoop);
    }

    /// <summary>Completes once <paramref name="message"/> is durable.</summary>
    public Task Append(RelayMessage message)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_pending.Writer.TryWrite((message, done))) done.SetException(new ObjectDisposedException(nameof(DurableLog)));
        return done.Task;
    }

    private async Task WriteLoop()
    {
        using var insert = _connection.CreateCommand();
        insert.CommandText = "INSERT INTO messages (seq, conversation, sender, client_id, text, sent_at) VALUES ($seq, $conversation, $sender, $client, $text, $at)";
        var p = new[] { "$seq", "$conversation", "$sender", "$client", "$text", "$at" }.Select(n => insert.Parameters.Add(new SqliteParameter { ParameterName = n })).ToArray();
        var batch = new List<(RelayMessage Message, TaskCompletionSource Done)>();
        while (await _pending.Reader.WaitToReadAsync())
        {
            batch.Clear();
            while (_pending.Reader.TryRead(out var item)) batch.Add(item);
            try
            {
                using var tx = _connection.BeginTransaction();
                insert.Transaction = tx;
                foreach (var (m, _) in batch)
                {
                    (p[0].Value, p[1].Value, p[2].Value, p[3].Value, p[4].Value, p[5].Value) = (m.Seq, m.ConsultationId, m.SenderId, m.ClientMessageId, m.Text, m.SentAt.ToString("O"));
                    insert.ExecuteNonQuery();
                }
                tx.Commit();
                foreach (var (_, done) in batch) done.SetResult();
            }
            catch (Exception e)
            {
                foreach (var (_, done) in batch) done.TrySetException(e);
            }
        }
    }

    private void Execute(string sql)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        _pending.Writer.TryComplete();
        await _writer;
        await _connection.DisposeAsync();
    }
}
