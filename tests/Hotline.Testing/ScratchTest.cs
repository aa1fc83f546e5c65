namespace Hotline.Testing;

/// <summary>
/// Base of tests that run processes on a scratch folder of their own: <see cref="Folder"/> (a fresh temp path, not
/// created) and <see cref="Track{T}"/>ed disposables are cleaned up after the test, disposables last-first.
/// </summary>
public abstract class ScratchTest(string prefix) : IAsyncLifetime
{
    private readonly List<IAsyncDisposable> _disposables = [];

    /// <summary>A temp path unique to this test (e.g. the silo's data folder).</summary>
    protected string Folder { get; } = Path.Combine(Path.GetTempPath(), prefix + Guid.NewGuid().ToString("N"));

    /// <summary>Disposes <paramref name="item"/> after the test (before the folder is deleted).</summary>
    protected T Track<T>(T item) where T : IAsyncDisposable
    {
        lock (_disposables) _disposables.Add(item);
        return item;
    }

    public virtual Task InitializeAsync() => Task.CompletedTask;

    public virtual async Task DisposeAsync()
    {
        IAsyncDisposable[] items;
        lock (_disposables) items = _disposables.ToArray();
        foreach (var d in items.Reverse()) await d.DisposeAsync();
        try { Directory.Delete(Folder, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
