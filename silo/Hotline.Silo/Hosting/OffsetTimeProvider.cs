namespace Hotline.Silo.Hosting;

/// <summary>The system clock moved by a fixed offset: lets a test run a real process months later (Testing only).</summary>
public sealed class OffsetTimeProvider(TimeSpan offset) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => TimeProvider.System.GetUtcNow() + offset;
}
