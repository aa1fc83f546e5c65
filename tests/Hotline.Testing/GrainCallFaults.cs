using System.Collections.Concurrent;

namespace Hotline.Testing;

/// <summary>
/// Grain calls a test makes fail before they reach the grain, as when the silo that hosts it cannot be reached: named
/// <c>Interface.Method</c> (e.g. <c>IRouterGrain.UpsertLawyer</c>). Registered in a test host as an incoming grain call
/// filter; nothing fails unless a test holds a <see cref="Fail"/> handle.
/// </summary>
public sealed class GrainCallFaults : IIncomingGrainCallFilter
{
    private readonly ConcurrentDictionary<string, int> _failing = new();
    private readonly ConcurrentDictionary<Handle, string[]> _held = new();

    /// <summary>Every call of these methods fails until the returned handle is disposed.</summary>
    public Handle Fail(params string[] methods)
    {
        foreach (var method in methods) _failing.AddOrUpdate(method, 1, (_, n) => n + 1);
        Handle handle = null!;
        handle = new Handle(() =>
        {
            _held.TryRemove(handle, out _);
            foreach (var method in methods) _failing.AddOrUpdate(method, 0, (_, n) => n - 1);
        });
        _held[handle] = methods;
        return handle;
    }

    private readonly ConcurrentDictionary<(string Key, string Method), TaskCompletionSource> _watched = new();

    /// <summary>
    /// Completes when the next call of <paramref name="method"/> on the grain keyed <paramref name="key"/> has run: how a test
    /// knows a one-way call was served, whatever it did (its caller is answered before it runs).
    /// </summary>
    public Task Served(string key, string method)
        => _watched.GetOrAdd((key, method), _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    /// <inheritdoc />
    public Task Invoke(IIncomingGrainCallContext context)
    {
        if (context.InterfaceMethod is not { DeclaringType: { } type } method || (_failing.IsEmpty && _watched.IsEmpty)) return context.Invoke();
        var name = type.Name + "." + method.Name;
        if (_failing.TryGetValue(name, out var held) && held > 0)
        {
            foreach (var (handle, methods) in _held)
                if (methods.Contains(name)) handle.Refused.TrySetResult();
            throw new InjectedStoreFailure($"injected: {name} did not reach the grain");
        }
        return _watched.IsEmpty ? context.Invoke() : Watched(context, name);
    }

    private async Task Watched(IIncomingGrainCallContext context, string name)
    {
        try
        {
            await context.Invoke();
        }
        finally
        {
            if (_watched.TryRemove((context.TargetId.Key.ToString(), name), out var served)) served.TrySetResult();
        }
    }

    /// <summary>Holds the faults until disposed.</summary>
    public sealed class Handle(Action release) : IDisposable
    {
        private int _done;

        /// <summary>Completes when a call this handle fails was refused (a one-way call's failure reaches no caller).</summary>
        public TaskCompletionSource Refused { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0) release();
        }
    }
}
