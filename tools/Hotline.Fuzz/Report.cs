using System.Collections.Concurrent;
using System.Text;

namespace Hotline.Fuzz;

/// <summary>What a fuzz run saw: counts by kind, accepted inputs, and findings (each a broken oracle, with the input).</summary>
public sealed class Report
{
    private readonly ConcurrentDictionary<string, long> _counts = new();
    private readonly ConcurrentQueue<Issue> _findings = new();
    private long _findingCount;

    public sealed record Issue(string Kind, string Input, string Detail);

    public IReadOnlyDictionary<string, long> Counts => _counts;
    public IReadOnlyList<Issue> Findings => _findings.ToList();
    public long FindingCount => Interlocked.Read(ref _findingCount);
    public long Inputs => _counts.GetValueOrDefault("inputs");

    public void Count(string key, long by = 1) => _counts.AddOrUpdate(key, by, (_, v) => v + by);

    public void Accepted(string target, string input) => Count("accepted:" + target);

    /// <summary>Records a broken oracle (the first 200 are kept in full).</summary>
    public void Finding(string kind, string input, string detail)
    {
        Interlocked.Increment(ref _findingCount);
        Count("finding:" + kind);
        if (_findings.Count < 200) _findings.Enqueue(new Issue(kind, input, detail));
    }

    public string Summary()
    {
        var sb = new StringBuilder();
        sb.AppendLine($"inputs: {Inputs}, findings: {FindingCount}");
        foreach (var (k, v) in _counts.OrderBy(p => p.Key, StringComparer.Ordinal)) sb.AppendLine($"  {k}: {v}");
        foreach (var group in Findings.GroupBy(f => f.Kind))
        {
            sb.AppendLine($"finding '{group.Key}' ({_counts.GetValueOrDefault("finding:" + group.Key)}x), e.g.:");
            foreach (var f in group.Take(3)) sb.AppendLine($"    {f.Input}\n      -> {f.Detail}");
        }
        return sb.ToString();
    }
}
