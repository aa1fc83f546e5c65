namespace Hotline.Grains;

/// <summary>
/// Fault injection for the one-truth tests: <c>Hotline:Testing:CrashAt=&lt;step&gt;</c> kills the process
/// (<see cref="Environment.FailFast(string)"/>, like kill -9) at a named point between a consultation's write and its
/// router command. <c>Hotline:Testing:CrashFile=&lt;path&gt;</c> arms a step at run time instead, once: the process that
/// reaches the step named in that file takes the file away (an atomic rename, so only one process of a cluster fires)
/// and dies. The host registers it only in the Development and Testing environments; grains without it never crash.
/// </summary>
public sealed class CrashPoints(string? crashAt, string? crashFile = null)
{
    /// <summary>Step names: between the router command and the consultation's write (open, transfer, requeue, accept),
    /// or between the consultation's write and the router command (close, abandon); and inside the router, right after a
    /// command's journal write and before its effects go out (<c>router-</c> + <see cref="RouterStep"/>).</summary>
    public static readonly IReadOnlyList<string> Steps = ["open", "transfer", "requeue", "accept", "close", "abandon"];

    /// <summary>The router's step name of a command: <c>router-enqueue</c>, <c>router-requeue</c>, <c>router-release</c>...</summary>
    public static string RouterStep(object command)
    {
        var name = command.GetType().Name;
        return "router-" + (name.EndsWith("Command", StringComparison.Ordinal) ? name[..^"Command".Length] : name).ToLowerInvariant();
    }

    /// <summary>Dies here if this is the configured step, or the step armed in the crash file.</summary>
    public void At(string step)
    {
        if (string.Equals(crashAt, step, StringComparison.OrdinalIgnoreCase) || Armed(step)) Environment.FailFast($"Hotline:Testing:CrashAt={step}");
    }

    private bool Armed(string step)
    {
        if (crashFile is null || !File.Exists(crashFile)) return false;
        try
        {
            if (!string.Equals(File.ReadAllText(crashFile).Trim(), step, StringComparison.OrdinalIgnoreCase)) return false;
            File.Move(crashFile, crashFile + ".fired", overwrite: true); // whoever renames it first fires
            return true;
        }
        catch (IOException) { return false; } // another process fired it (FileNotFoundException is an IOException)
    }
}
