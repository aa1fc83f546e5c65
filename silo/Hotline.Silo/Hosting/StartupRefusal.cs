namespace Hotline.Silo.Hosting;

/// <summary>Refuses to start on invalid settings: one clear line per problem on stderr, exit code 2, no stack trace.</summary>
public static class StartupRefusal
{
    public static void ExitIfAny(IEnumerable<string> problems)
    {
        var list = problems.ToList();
        if (list.Count == 0) return;
        foreach (var p in list) Console.Error.WriteLine("Hotline12351 will not start: " + p);
        Environment.Exit(2);
    }
}
