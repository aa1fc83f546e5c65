using System.Data.Common;
using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace Hotline.Storage;

/// <summary>
/// Group commit for one SQLite database: callers enqueue their write (a unit of work on a connection); one writer
/// loop takes everything queued (up to <see cref="HotlineStorageOptions.SqliteMaxBatch"/>), runs it in ONE
/// <c>BEGIN IMMEDIATE ... COMMIT</c>, each op inside its own <c>SAVEPOINT</c> (an op that throws is rolled back to its
/// savepoint and fails alone), and completes every caller after the COMMIT returned, i.e. after the WAL fsync
/// (<c>synchronous=FULL</c>): an acknowledged write is durable. If BEGIN or COMMIT fails, every op of the batch fails.
/// </summary>
/// <remarks>
/// The transaction is opened with raw SQL (not <see cref="SqliteConnection.BeginTransaction()"/>) so that the ops'
/// commands, written for a plain connection, run inside it unchanged. Ops run with <see cref="CancellationToken.None"/>:
/// cancelling a SQLite command interrupts the connection, which would roll back the whole batch. A caller's token is
/// honoured only while its op is still queued.
/// </remarks>
internal sealed class SqliteGroupCommit : IAsyncDisposable
{
    private readonly Channel<WriteOp> _queue = Channel.CreateUnbounded<WriteOp>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Func<CancellationToken, Task<DbConnection>> _open;
    private readonly SemaphoreSlim? _fileLock;
    private readonly int _maxBatch;
    private readonly ILogger _logger;
    private readonly string _description;
    private readonly TimeSpan _checkpointInterval;
    private readonly int _walBackstopPages;
    private readonly int _autoCheckpointPages;
    private readonly TaskCompletionSource _writerDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _checkpointerDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stop = new();
    private DbConnection? _connection;
    // Prepared once per writer connection: every op of every batch runs these two.
    private DbCommand? _savepoint, _release;
    private long _batches, _ops;
    private int _pending;

    /// <param name="open">Opens a connection with the database's pragmas.</param>
    /// <param name="fileLock">This file's in-process write lock (null: none).</param>
    /// <param name="maxBatch">The most ops in one transaction.</param>
    /// <param name="logger">Logger.</param>
    /// <param name="description">The database, for logs.</param>
    /// <param name="checkpointInterval">Background PASSIVE checkpoints (own thread) this often; zero or less: SQLite's automatic checkpoint in the COMMIT.</param>
    /// <param name="walBackstopPages">With background checkpoints: the writer's own <c>wal_autocheckpoint</c>, a bound if they fall behind.</param>
    /// <param name="autoCheckpointPages">Without them: the writer's <c>wal_autocheckpoint</c> (SQLite's own default is 1000).</param>
    public SqliteGroupCommit(Func<CancellationToken, Task<DbConnection>> open, SemaphoreSlim? fileLock, int maxBatch, ILogger logger, string description,
        TimeSpan checkpointInterval = default, int walBackstopPages = 16384, int autoCheckpointPages = 1000)
    {
        _open = open;
        _fileLock = fileLock;
        _maxBatch = Math.Max(1, maxBatch);
        _logger = logger;
        _description = description;
        _checkpointInterval = checkpointInterval;
        _walBackstopPages = Math.Max(1000, walBackstopPages);
        _autoCheckpointPages = Math.Max(1000, autoCheckpointPages);
        // The writer loop runs on the thread pool: a committed op's continuation (the grain's turn) is then queued to the
        // writer's own pool thread and runs right after the batch. A dedicated writer thread had to wake a pool thread
        // for every completion, which under load cost far more than the fsync it kept off the pool (measured,
        // docs/perf-message-path.md, third round).
        _ = Task.Run(WriterLoopAsync);
        if (checkpointInterval > TimeSpan.Zero)
            new Thread(CheckpointLoop) { IsBackground = true, Name = "Hotline SQLite checkpointer" }.Start();
        else _checkpointerDone.SetResult();
    }

    /// <summary>Committed (or failed) batches so far.</summary>
    public long Batches => Interlocked.Read(ref _batches);

    /// <summary>Ops taken into batches so far.</summary>
    public long Ops => Interlocked.Read(ref _ops);

    /// <summary>Ops waiting in the queue (not yet taken by the writer).</summary>
    public int Pending => Volatile.Read(ref _pending);

    /// <summary>Size of the last batch (tests).</summary>
    public int LastBatchSize { get; private set; }

    /// <summary>Background checkpoints that ran (tests).</summary>
    public long Checkpoints => Interlocked.Read(ref _checkpoints);
    private long _checkpoints;

    /// <summary>Test hook: thrown instead of the COMMIT (which is then rolled back), as if the commit failed.</summary>
    public Func<Exception?>? FaultInsteadOfCommit { get; set; }

    /// <summary>Enqueues one write; completes after its batch committed (or with the op's own failure).</summary>
    /// <param name="work">The op.</param>
    /// <param name="cancellationToken">Honoured while the op is queued.</param>
    /// <param name="singleStatement">
    /// The op changes the database with at most one statement (anything else it runs only reads): SQLite undoes a failing
    /// statement by itself, so the op needs no savepoint of its own (two statements fewer per op).
    /// </param>
    public Task<T> EnqueueAsync<T>(Func<DbConnection, CancellationToken, Task<T>> work, CancellationToken cancellationToken, bool singleStatement = false)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var op = new WriteOp<T>(work, cancellationToken) { SingleStatement = singleStatement };
        Interlocked.Increment(ref _pending);
        if (!_queue.Writer.TryWrite(op))
        {
            Interlocked.Decrement(ref _pending);
            throw new ObjectDisposedException(nameof(HotlineDatabase), $"{_description} is disposed.");
        }
        return op.Task;
    }

    private async Task WriterLoopAsync()
    {
        try
        {
            var batch = new List<WriteOp>(_maxBatch);
            while (await _queue.Reader.WaitToReadAsync().ConfigureAwait(false))
            {
                if (_fileLock is not null) await _fileLock.WaitAsync().ConfigureAwait(false);
                try
                {
                    // Taken under the file lock: everything that queued while the previous batch was committing goes in.
                    while (batch.Count < _maxBatch && _queue.Reader.TryRead(out var op))
                    {
                        Interlocked.Decrement(ref _pending);
                        if (op.CallerToken.IsCancellationRequested) op.Cancel();
                        else batch.Add(op);
                    }
                    if (batch.Count > 0) await RunBatchAsync(batch).ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    // RunBatchAsync completes every op itself; this is a last resort so no caller ever hangs.
                    _logger.LogError(ex, "Hotline storage: group commit on {Target} failed unexpectedly", _description);
                    foreach (var op in batch) op.Fail(ex);
                }
                finally
                {
                    _fileLock?.Release();
                    batch.Clear();
                }
            }
            await DropConnectionAsync().ConfigureAwait(false);
        }
        finally
        {
            _writerDone.TrySetResult();
        }
    }

    /// <summary>
    /// PASSIVE checkpoints on their own connection, off the writer's path: they copy committed WAL frames into the
    /// database and fsync it without taking the write lock, so no COMMIT waits for them.
    /// </summary>
    private void CheckpointLoop()
    {
        try
        {
            var seen = Ops;
            while (!_stop.Token.WaitHandle.WaitOne(_checkpointInterval))
            {
                var ops = Ops;
                if (ops == seen) continue;
                seen = ops;
                Checkpoint();
            }
        }
        finally
        {
            _checkpointerDone.TrySetResult();
        }
    }

    private void Checkpoint()
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            using var connection = _open(CancellationToken.None).GetAwaiter().GetResult();
            using var command = connection.Command("PRAGMA wal_checkpoint(PASSIVE)");
            command.ExecuteNonQuery();
            Interlocked.Increment(ref _checkpoints);
            StorageMeter.Checkpoint.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
        catch (Exception ex)
        {
            // The next round tries again; the writer's backstop keeps the WAL bounded meanwhile.
            _logger.LogDebug(ex, "Hotline storage: background checkpoint of {Target} failed", _description);
        }
    }

    private async Task RunBatchAsync(List<WriteOp> batch)
    {
        Interlocked.Increment(ref _batches);
        Interlocked.Add(ref _ops, batch.Count);
        LastBatchSize = batch.Count;
        var started = Stopwatch.GetTimestamp();
        if (StorageMeter.QueueWait.Enabled)
            foreach (var op in batch) StorageMeter.QueueWait.Record(Stopwatch.GetElapsedTime(op.EnqueuedAt, started).TotalMilliseconds);
        StorageMeter.BatchSize.Record(batch.Count);
        DbConnection connection;
        try
        {
            connection = _connection ??= await OpenWriterAsync().ConfigureAwait(false);
            await ExecAsync(connection, "BEGIN IMMEDIATE").ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            await DropConnectionAsync().ConfigureAwait(false);
            foreach (var op in batch) op.Fail(ex);
            return;
        }

        var ran = 0;
        try
        {
            for (; ran < batch.Count; ran++)
            {
                var op = batch[ran];
                if (op.SingleStatement)
                {
                    try
                    {
                        await op.RunAsync(connection).ConfigureAwait(false);
                    }
                    catch (Exception ex)
                    {
                        op.Failure = ex;
                        // SQLite rolled back the failing statement alone; an error that ended the whole transaction
                        // (I/O error, disk full, ...) fails the batch, as a failed ROLLBACK TO does below.
                        if (!InTransaction(connection)) throw;
                    }
                    continue;
                }
                await Statement(ref _savepoint, connection, "SAVEPOINT op").ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
                try
                {
                    await op.RunAsync(connection).ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    op.Failure = ex;
                    // Undo whatever the op did. If SQLite had rolled back the whole transaction (I/O error, disk
                    // full, ...) the savepoint is gone and this throws: the batch is lost (handled below).
                    await ExecAsync(connection, "ROLLBACK TO op").ConfigureAwait(false);
                }
                await Statement(ref _release, connection, "RELEASE op").ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
            }

            if (FaultInsteadOfCommit?.Invoke() is { } fault) throw fault;
            var commit = Stopwatch.GetTimestamp();
            await ExecAsync(connection, "COMMIT").ConfigureAwait(false);
            var done = Stopwatch.GetTimestamp();
            StorageMeter.Commit.Record(Stopwatch.GetElapsedTime(commit, done).TotalMilliseconds);
            StorageMeter.Batch.Record(Stopwatch.GetElapsedTime(started, done).TotalMilliseconds);
        }
        catch (Exception ex)
        {
            // The transaction (or the commit) failed: nothing of this batch is stored. Ops that failed on their own
            // keep their own error; every other op fails with this one.
            try
            {
                await ExecAsync(connection, "ROLLBACK").ConfigureAwait(false);
            }
            catch (Exception rollback)
            {
                _logger.LogDebug(rollback, "Hotline storage: rollback after a failed batch on {Target}", _description);
                await DropConnectionAsync().ConfigureAwait(false);
            }
            _logger.LogWarning(ex, "Hotline storage: a batch of {Count} write(s) on {Target} failed and was rolled back", batch.Count, _description);
            var batchFailure = ex is SqliteException { SqliteErrorCode: 5 or 6 } or StorageUnavailableException
                ? ex
                : new StorageUnavailableException($"A write batch on {_description} failed and was rolled back: {ex.Message}", ex);
            // Every op fails, even one that had failed on its own: its verdict may have depended on an earlier op of
            // the batch, which is now rolled back. The op that was running when the transaction broke gets its error.
            for (var i = 0; i < batch.Count; i++)
                batch[i].Fail(i == ran ? batch[i].Failure ?? ex : batchFailure);
            return;
        }

        foreach (var op in batch) op.Complete();
    }

    /// <summary>The writer connection's page cache, KiB.</summary>
    internal const int WriterCacheKiB = 32 * 1024;

    /// <summary>SQLite's default page cache, KiB: what a pooled connection has unless the writer changed it.</summary>
    private const int DefaultCacheKiB = 2000;

    private async Task<DbConnection> OpenWriterAsync()
    {
        var connection = await _open(CancellationToken.None).ConfigureAwait(false);
        // Every append touches its consultation's leaf page of the messages key (and the table's last page); SQLite's default
        // page cache (2 MB per connection) held too few of them under load, so appends re-read pages with pread. The one
        // long-lived writer keeps a larger cache (it is the only writer, so its cache stays valid across commits).
        try { await ExecAsync(connection, $"PRAGMA cache_size = -{WriterCacheKiB}").ConfigureAwait(false); }
        catch { await connection.DisposeAsync().ConfigureAwait(false); throw; }
        // Background checkpoints: the writer checkpoints itself only if they fall far behind (see the options). Without
        // them, its own checkpoints come at the options' WAL size.
        var pages = _checkpointInterval > TimeSpan.Zero ? _walBackstopPages : _autoCheckpointPages;
        try { await ExecAsync(connection, $"PRAGMA wal_autocheckpoint = {pages}").ConfigureAwait(false); }
        catch { await connection.DisposeAsync().ConfigureAwait(false); throw; }
        return connection;
    }

    private static async Task ExecAsync(DbConnection connection, string sql)
    {
        await using var command = connection.Command(sql);
        await command.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>Whether the batch's transaction is still open (SQLite leaves autocommit mode only inside one).</summary>
    private static bool InTransaction(DbConnection connection) =>
        connection is SqliteConnection { Handle: { } handle } && SQLitePCL.raw.sqlite3_get_autocommit(handle) == 0;

    private static DbCommand Statement(ref DbCommand? cached, DbConnection connection, string sql) => cached ??= connection.Command(sql);

    private async Task DropConnectionAsync()
    {
        if (_connection is null) return;
        _savepoint?.Dispose();
        _release?.Dispose();
        _savepoint = _release = null;
        // The connection goes back to the pool, where a reader may take it: without the writer's large page cache, and
        // with SQLite's own checkpoint size should it ever write.
        try { await ExecAsync(_connection, $"PRAGMA cache_size = -{DefaultCacheKiB}; PRAGMA wal_autocheckpoint = 1000").ConfigureAwait(false); }
        catch (Exception ex) { _logger.LogDebug(ex, "Hotline storage: resetting the writer's page cache on {Target}", _description); }
        try { await _connection.DisposeAsync().ConfigureAwait(false); }
        catch (Exception ex) { _logger.LogDebug(ex, "Hotline storage: closing the writer connection of {Target}", _description); }
        _connection = null;
    }

    private int _disposed;

    /// <summary>Stops taking new writes, lets the queued ones commit, closes the writer connection.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return; // a second dispose would cancel a disposed token source
        _queue.Writer.TryComplete();
        await _writerDone.Task.ConfigureAwait(false);
        _stop.Cancel();
        await _checkpointerDone.Task.ConfigureAwait(false);
        _stop.Dispose();
    }

    private abstract class WriteOp(CancellationToken callerToken)
    {
        public CancellationToken CallerToken { get; } = callerToken;
        public long EnqueuedAt { get; } = Stopwatch.GetTimestamp();
        public bool SingleStatement { get; init; }
        public Exception? Failure { get; set; }
        public abstract Task RunAsync(DbConnection connection);
        public abstract void Complete();
        public abstract void Fail(Exception exception);
        public abstract void Cancel();
    }

    private sealed class WriteOp<T>(Func<DbConnection, CancellationToken, Task<T>> work, CancellationToken callerToken) : WriteOp(callerToken)
    {
        private readonly TaskCompletionSource<T> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private T _result = default!;

        public Task<T> Task => _completion.Task;

        public override async Task RunAsync(DbConnection connection) =>
            _result = await work(connection, CancellationToken.None).ConfigureAwait(false);

        public override void Complete()
        {
            if (Failure is not null) _completion.TrySetException(Failure);
            else _completion.TrySetResult(_result);
        }

        public override void Fail(Exception exception) => _completion.TrySetException(exception);
        public override void Cancel() => _completion.TrySetCanceled(CallerToken);
    }
}
