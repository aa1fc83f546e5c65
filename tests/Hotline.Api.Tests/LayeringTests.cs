using System.Text.RegularExpressions;

namespace Hotline.Api.Tests;

/// <summary>
/// The host's folders depend one way: Hosting -> Hubs -> Api -> Security. A file may name (by <c>using</c> or
/// qualified name) only folders below its own, so no cycle can creep back in.
/// </summary>
public sealed partial class LayeringTests
{
    private static readonly string[] Layers = ["Security", "Api", "Hubs", "Hosting"];

    [Fact]
    public void Silo_folders_depend_only_downwards()
    {
        var silo = Path.Combine(RepoRoot(), "silo", "Hotline.Silo");
        var violations = new List<string>();
        var checkedFiles = 0;
        foreach (var (layer, rank) in Layers.Select((l, i) => (l, i)))
        {
            foreach (var file in Directory.EnumerateFiles(Path.Combine(silo, layer), "*.cs", SearchOption.AllDirectories))
            {
                checkedFiles++;
                foreach (Match m in Reference().Matches(File.ReadAllText(file)))
                {
                    var target = Array.IndexOf(Layers, m.Groups[1].Value);
                    if (target > rank) violations.Add($"{layer}/{Path.GetFileName(file)} -> {m.Groups[1].Value}");
                }
            }
        }
        Assert.True(checkedFiles > 20, "silo sources not found");
        Assert.Empty(violations);
    }

    [GeneratedRegex(@"\bHotline\.Silo\.(Security|Api|Hubs|Hosting)\b")]
    private static partial Regex Reference();

    private static string RepoRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "Hotline12351.sln"))) return d.FullName;
        throw new InvalidOperationException("Hotline12351.sln not found");
    }
}
