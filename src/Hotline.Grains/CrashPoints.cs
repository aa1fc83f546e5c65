namespace Hotline.Grains;

/// <summary>
/// Fault injection for the one-truth tests: <c>Hotline:Testing:CrashAt=&lt;step&gt;</c> kills the process
/// (<see cref="Environment.FailFast(string)"/>, like kill -9) at a named point between a consultation's write and its
/// router command. The host registers it only in the Development and Testing environments; grains without it never crash.
/// </summary>
public sealed class CrashPoints(string? crashAt)
{
    /// <summary>Step names: between the router command and the consultation's write (open, transfer, requeue, accept),
    /// or between the consultation's write and the router command (close, abandon).</summary>
    public static readonly IReadOnlyList<string> Steps = ["open", "transfer", "requeue", "accept", "close", "abandon"];

    /// <summary>Dies here if this is the configured step.</summary>
    public void At(string step)
    {
        if (string.Equals(crashAt, step, StringComparison.OrdinalIgnoreCase)) Environment.FailFast($"Hotline:Testing:CrashAt={step}");
    }
}
