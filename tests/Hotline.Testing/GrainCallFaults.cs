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

    /// <summary>Every call of these methods fails until the returned handle is disposed.</summary>
    public IDisposable Fail(params string[] methods)
    {
        foreach (var method in methods) _failing.AddOrUpdate(method, 1, (_, n) => n + 1);
        return new Handle(() =>
        {
            foreach (var method in methods) _failing.AddOrUpdate(method, 0, (_, n) => n - 1);
        });
    }

    /// <inheritdoc />
    public Task Invoke(IIncomingGrainCallContext context)
    {
        if (!_failing.IsEmpty && context.InterfaceMethod is { } method && method.DeclaringType is { } type
            && _failing.TryGetValue(type.Name + "." + method.Name, out var held) && held > 0)
            throw new InjectedStoreFailure($"injected: {type.Name}.{method.Name} did not reach the grain");
        return context.Invoke();
    }

    private sealed class Handle(Action release) : IDisposable
    {
        private int _done;
        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0) release();
        }
    }
}
